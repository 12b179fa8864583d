namespace Switchboard.Inference.Constraints;

/// <summary>
/// Where a JSON text stands after some bytes, as a small value (copied freely while masking): the open containers
/// as a bit stack, the lexical state, and counters that bound whitespace and numbers. <see cref="Advance"/> takes
/// one byte and says whether the text is still a prefix of a JSON object (RFC 8259, with the string contents
/// System.Text.Json accepts: well-formed UTF-8 and no lone surrogate escapes). The value must be an object, as
/// OpenAI's JSON mode promises; it is complete when that object closes.
/// </summary>
public struct JsonState : IJsonPrefix
{
    /// <summary>At most this many whitespace bytes in a row, so a model cannot loop on spaces.</summary>
    public const int MaxWhitespace = 24;
    /// <summary>Nesting limit (the bit stack's width).</summary>
    public const int MaxDepth = 64;
    internal const int MaxNumberBytes = 40;

    internal enum Mode : byte { Start, Value, ObjectFirst, ObjectKey, Colon, ArrayFirst, After, String, Number, Literal, Done }

    // Number sub-states.
    private const byte Minus = 0, Zero = 1, Int = 2, Dot = 3, Frac = 4, Exp = 5, ExpSign = 6, ExpDigits = 7;

    private ulong _stack;      // 1 = object, 0 = array; the innermost container in bit (depth - 1)
    private byte _depth;
    private Mode _mode;
    private byte _sub;         // number sub-state, literal index, or string escape state
    private byte _count;       // whitespace run, number length, literal progress, or \u digits read
    private byte _utf8;        // continuation bytes still expected in a string
    private byte _utf8Lead;    // the lead byte, for the first continuation's range
    private bool _key;         // the string being read is an object key

    /// <summary>The object has closed: only the end may follow.</summary>
    public readonly bool IsComplete => _mode == Mode.Done;

    /// <summary>Inside a string with nothing pending: any byte but <c>"</c>, <c>\</c> and controls keeps it there.</summary>
    public readonly bool InPlainString => _mode == Mode.String && _sub == 0 && _utf8 == 0;

    readonly int IJsonPrefix.PlainTextRoom => InPlainString ? int.MaxValue : -1;

    readonly bool IJsonPrefix.PlainTextKeepsCompletion => InPlainString;

    internal readonly Mode Current => _mode;

    /// <summary>Open containers.</summary>
    internal readonly int Depth => _depth;

    /// <summary>The innermost open container is an array.</summary>
    internal readonly bool InArray => _depth > 0 && (_stack >> (_depth - 1) & 1) == 0;

    /// <summary>The string being read is an object key.</summary>
    internal readonly bool InKey => _mode == Mode.String && _key;

    /// <summary>The byte the shortest completion would write next (0 when complete).</summary>
    internal readonly byte ClosingByte => IsComplete ? (byte)0 : NextClosingByte();

    internal static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';

    internal static bool IsNumberByte(byte b) => b is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-';

    public readonly byte NextClosingByte()
    {
        var close = _depth > 0 && (_stack >> (_depth - 1) & 1) == 1 ? (byte)'}' : (byte)']';
        switch (_mode)
        {
            case Mode.Start: return (byte)'{';
            case Mode.Value: return (byte)'0';
            case Mode.ObjectFirst: return (byte)'}';
            case Mode.ObjectKey: return (byte)'"';
            case Mode.Colon: return (byte)':';
            case Mode.ArrayFirst: return (byte)']';
            case Mode.After: return close;
            case Mode.Literal: return (_sub switch { 0 => "true"u8, 1 => "false"u8, _ => "null"u8 })[_count];
            case Mode.Number: return _sub is Zero or Int or Frac or ExpDigits ? close : (byte)'0';
            case Mode.String:
                if (_utf8 > 0) return _utf8Lead switch { 0xE0 => 0xA0, 0xF0 => 0x90, _ => 0x80 };
                return _sub switch { 0 => (byte)'"', 1 => (byte)'n', _ => (byte)'0' };
            default: return 0;
        }
    }

    public bool Advance(byte b)
    {
        switch (_mode)
        {
            case Mode.Start:
                if (IsSpace(b)) return Space();
                if (b != (byte)'{') return false;
                _count = 0;
                return Push(isObject: true, Mode.ObjectFirst);
            case Mode.Value:
                if (IsSpace(b)) return Space();
                _count = 0;
                return StartValue(b);
            case Mode.ObjectFirst:
                if (IsSpace(b)) return Space();
                _count = 0;
                if (b == (byte)'"') return StartString(key: true);
                return b == (byte)'}' && Pop();
            case Mode.ObjectKey:
                if (IsSpace(b)) return Space();
                _count = 0;
                return b == (byte)'"' && StartString(key: true);
            case Mode.Colon:
                if (IsSpace(b)) return Space();
                _count = 0;
                if (b != (byte)':') return false;
                _mode = Mode.Value;
                return true;
            case Mode.ArrayFirst:
                if (IsSpace(b)) return Space();
                _count = 0;
                return b == (byte)']' ? Pop() : StartValue(b);
            case Mode.After:
                if (IsSpace(b)) return Space();
                _count = 0;
                var inObject = (_stack >> (_depth - 1) & 1) == 1;
                if (b == (byte)',')
                {
                    _mode = inObject ? Mode.ObjectKey : Mode.Value;
                    return true;
                }
                return (inObject ? b == (byte)'}' : b == (byte)']') && Pop();
            case Mode.String:
                return StringByte(b);
            case Mode.Number:
                return NumberByte(b);
            case Mode.Literal:
                var literal = _sub switch { 0 => "true"u8, 1 => "false"u8, _ => "null"u8 };
                if (b != literal[_count]) return false;
                if (++_count == literal.Length) EndValue();
                return true;
            default:
                return false;
        }
    }

    private bool Space() => ++_count <= MaxWhitespace;

    private bool Push(bool isObject, Mode next)
    {
        if (_depth == MaxDepth) return false;
        if (isObject) _stack |= 1UL << _depth;
        else _stack &= ~(1UL << _depth);
        _depth++;
        _mode = next;
        return true;
    }

    private bool Pop()
    {
        _depth--;
        EndValue();
        return true;
    }

    private void EndValue()
    {
        _mode = _depth == 0 ? Mode.Done : Mode.After;
        _count = 0;
        _sub = 0;
    }

    private bool StartValue(byte b)
    {
        switch (b)
        {
            case (byte)'{': return Push(isObject: true, Mode.ObjectFirst);
            case (byte)'[': return Push(isObject: false, Mode.ArrayFirst);
            case (byte)'"': return StartString(key: false);
            case (byte)'-': return StartNumber(Minus);
            case (byte)'0': return StartNumber(Zero);
            case >= (byte)'1' and <= (byte)'9': return StartNumber(Int);
            case (byte)'t': return StartLiteral(0);
            case (byte)'f': return StartLiteral(1);
            case (byte)'n': return StartLiteral(2);
            default: return false;
        }
    }

    private bool StartString(bool key)
    {
        _mode = Mode.String;
        _key = key;
        _sub = 0;
        _utf8 = 0;
        return true;
    }

    private bool StartNumber(byte state)
    {
        _mode = Mode.Number;
        _sub = state;
        _count = 1;
        return true;
    }

    private bool StartLiteral(byte which)
    {
        _mode = Mode.Literal;
        _sub = which;
        _count = 1;
        return true;
    }

    private bool StringByte(byte b)
    {
        if (_utf8 > 0)
        {
            // The first continuation of some leads has a narrower range (no overlong forms, no surrogates, ≤ U+10FFFF).
            var (low, high) = _utf8Lead switch
            {
                0xE0 => (0xA0, 0xBF),
                0xED => (0x80, 0x9F),
                0xF0 => (0x90, 0xBF),
                0xF4 => (0x80, 0x8F),
                _ => (0x80, 0xBF),
            };
            if (b < low || b > high) return false;
            _utf8Lead = 0;
            _utf8--;
            return true;
        }
        switch (_sub)
        {
            case 0:
                if (b == (byte)'"')
                {
                    if (_key) _mode = Mode.Colon;
                    else EndValue();
                    _count = 0;
                    return true;
                }
                if (b == (byte)'\\')
                {
                    _sub = 1;
                    return true;
                }
                if (b < 0x20) return false;
                if (b < 0x80) return true;
                if (b is >= 0xC2 and <= 0xDF) _utf8 = 1;
                else if (b is >= 0xE0 and <= 0xEF) _utf8 = 2;
                else if (b is >= 0xF0 and <= 0xF4) _utf8 = 3;
                else return false;
                _utf8Lead = b;
                return true;
            case 1:
                if (b == (byte)'u')
                {
                    _sub = 2;
                    _count = 0;
                    return true;
                }
                if (b is not ((byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')) return false;
                _sub = 0;
                return true;
            default:
                // \uXXXX: hex digits, but never a surrogate (D800–DFFF), which a parser would refuse alone.
                var hex = b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';
                if (!hex) return false;
                if (_count == 0 && b is (byte)'d' or (byte)'D') _sub = 3;
                else if (_count == 1 && _sub == 3 && b is not (>= (byte)'0' and <= (byte)'7')) return false;
                if (++_count == 4) _sub = 0;
                return true;
        }
    }

    private bool NumberByte(byte b)
    {
        var digit = b is >= (byte)'0' and <= (byte)'9';
        if (digit || b is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')
        {
            if (++_count > MaxNumberBytes) return false;
            byte? next = (_sub, b) switch
            {
                (Minus, (byte)'0') => Zero,
                (Minus, _) when digit => Int,
                (Zero or Int, (byte)'.') => Dot,
                (Int, _) when digit => Int,
                (Dot or Frac, _) when digit => Frac,
                (Zero or Int or Frac, (byte)'e' or (byte)'E') => Exp,
                (Exp, (byte)'+' or (byte)'-') => ExpSign,
                (Exp or ExpSign or ExpDigits, _) when digit => ExpDigits,
                _ => null,
            };
            if (next is not { } state) return false;
            _sub = state;
            return true;
        }
        // Anything else ends the number, if it can end here, and is then read as what follows a value.
        if (_sub is not (Zero or Int or Frac or ExpDigits)) return false;
        EndValue();
        return Advance(b);
    }
}
