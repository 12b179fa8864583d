using Mode = Switchboard.Inference.Constraints.JsonState.Mode;

namespace Switchboard.Inference.Constraints;

/// <summary>
/// Where a JSON text stands against a compiled schema: <see cref="JsonState"/> reads the bytes as JSON, and this
/// checks each one against the schema before it is taken: a value's first byte against its types (choosing the
/// <c>anyOf</c> alternative), key bytes against the property names still free, <c>}</c> against the required ones,
/// <c>,</c> and <c>]</c> against the item counts, string characters against the lengths, enum and const values byte
/// for byte. It refuses any byte after which no valid value could follow, so a masked sequence is never stuck. A
/// value copied freely while masking: the enclosing containers are an immutable chain, allocated only on entering one.
/// </summary>
public struct SchemaState : IJsonPrefix
{
    private sealed record Frame(Frame? Outer, JsonSchemaNode? Container, ulong Seen, int Items);

    private JsonState _lex;
    private Frame? _outer;             // the enclosing containers, innermost first
    private JsonSchemaNode? _container; // the innermost open container's schema
    private JsonSchemaNode? _value;    // the schema of the value being read, or of the next one after a key
    private ulong _seen;               // object: the properties named so far
    private int _items;                // array: the items begun so far
    private int _chars;                // string: the characters so far
    private int _lo, _hi, _pos;        // key: the names still possible, bytes matched; literal: the values still possible
    private bool _extraKey;            // key: matches no property name, so it is an additional property
    private bool _literal;             // the value must spell one of _value.Literals
    private int _literalDepth;         // the depth the literal began at

    public SchemaState(JsonSchemaNode root) => _value = root;

    /// <summary>A bound on the bytes completing a value of <paramref name="root"/> from anywhere in it (see <see cref="JsonConstraint{TState}"/>).</summary>
    public static int Horizon(JsonSchemaNode root) => JsonState.MaxDepth * 4 + 64 + Math.Min(root.MinimalLength + 2 * root.Reach, 1 << 16);

    /// <summary>A bound on what one token can add to the completion: a few values opened, each at most the schema's longest shortest value.</summary>
    public static int Reach(JsonSchemaNode root) => Math.Min(4 * root.Reach, 1 << 16) + 64;

    public readonly bool IsComplete => _lex.IsComplete;

    public readonly int PlainTextRoom =>
        !_lex.InPlainString || _literal ? -1
        : _lex.InKey ? (_container!.Additional is not null ? int.MaxValue : -1)
        : _value!.MaxLength == int.MaxValue ? int.MaxValue : _value.MaxLength - _chars;

    // In a key that may still become a property's name, plain text can steer the completion to another, longer one.
    public readonly bool PlainTextKeepsCompletion => _lex.InPlainString && !_literal && (!_lex.InKey || _extraKey);

    public bool Advance(byte b)
    {
        if (_literal) return LiteralByte(b);
        switch (_lex.Current)
        {
            case Mode.Start:
                return JsonState.IsSpace(b) ? _lex.Advance(b) : StartValue(_value!, b);
            case Mode.Value:
                if (JsonState.IsSpace(b)) return _lex.Advance(b);
                return StartValue(_lex.InArray ? NextItem() : _value!, b);
            case Mode.ArrayFirst:
                if (JsonState.IsSpace(b)) return _lex.Advance(b);
                if (b == (byte)']') return _container!.MinItems == 0 && Close(b);
                return _container!.MaxItems > 0 && StartValue(NextItem(), b);
            case Mode.ObjectFirst:
                if (JsonState.IsSpace(b)) return _lex.Advance(b);
                if (b == (byte)'}') return _container!.Required == 0 && Close(b);
                return b == (byte)'"' && CanAddKey() && BeginKey(b);
            case Mode.ObjectKey:
                if (JsonState.IsSpace(b)) return _lex.Advance(b);
                return b == (byte)'"' && BeginKey(b);
            case Mode.After:
                return AfterValue(b);
            case Mode.String:
                return _lex.InKey ? KeyByte(b) : StringByte(b);
            case Mode.Number:
                if (!JsonState.IsNumberByte(b)) return AfterValue(b);
                if (b is (byte)'.' or (byte)'e' or (byte)'E' && _value!.IntegerOnly) return false;
                return _lex.Advance(b);
            default:
                return _lex.Advance(b);
        }
    }

    private JsonSchemaNode NextItem()
    {
        _items++;
        return _container!.Items!;
    }

    private bool StartValue(JsonSchemaNode schema, byte b)
    {
        if (schema.Resolve(b) is not { } node) return false;
        _value = node;
        if (node.Literals is { } literals)
        {
            _literal = true;
            _literalDepth = _lex.Depth;
            (_lo, _hi, _pos) = (0, literals.Length, 0);
            return LiteralByte(b);
        }
        if (!_lex.Advance(b)) return false;
        if (b is (byte)'{' or (byte)'[')
        {
            _outer = new Frame(_outer, _container, _seen, _items);
            (_container, _seen, _items) = (node, node.Unusable, 0);
        }
        else if (b == (byte)'"')
        {
            _chars = 0;
        }
        return true;
    }

    private bool Close(byte b)
    {
        if (!_lex.Advance(b)) return false;
        var outer = _outer!;
        (_container, _seen, _items, _outer) = (outer.Container, outer.Seen, outer.Items, outer.Outer);
        return true;
    }

    private bool AfterValue(byte b)
    {
        if (JsonState.IsSpace(b) || _container is null) return _lex.Advance(b);
        return b switch
        {
            (byte)',' => (_lex.InArray ? _items < _container.MaxItems : CanAddKey()) && _lex.Advance(b),
            (byte)'}' => (_container.Required & ~_seen) == 0 && Close(b),
            (byte)']' => _items >= _container.MinItems && Close(b),
            _ => _lex.Advance(b),
        };
    }

    private readonly bool CanAddKey()
    {
        var container = _container!;
        if (container.Additional is not null) return true;
        for (var p = 0; p < container.Properties.Length; p++)
        {
            if ((_seen >> p & 1) == 0) return true;
        }
        return false;
    }

    private bool BeginKey(byte b)
    {
        (_lo, _hi, _pos, _extraKey) = (0, _container!.Names.Length, 0, false);
        return _lex.Advance(b);
    }

    private bool KeyByte(byte b)
    {
        var container = _container!;
        if (b == (byte)'"' && _lex.InPlainString)
        {
            var property = _extraKey ? -1 : ExactName();
            if (property >= 0)
            {
                if ((_seen >> property & 1) != 0) return false;
                _seen |= 1UL << property;
                _value = container.Properties[property];
            }
            else
            {
                if (container.Additional is null) return false;
                _value = container.Additional;
            }
            return _lex.Advance(b);
        }
        if (!_extraKey)
        {
            var (lo, hi) = Narrow(container.Names, b);
            // A closed object's key must stay on the way to a name not yet used.
            if (container.Additional is null && !AnyFree(container, lo, hi)) return false;
            if (lo == hi) _extraKey = true;
            else (_lo, _hi) = (lo, hi);
            _pos++;
        }
        // Names are matched as written: an escape spelling one otherwise would slip past its schema.
        if (_extraKey && b == (byte)'\\' && container.Names.Length > 0) return false;
        return _lex.Advance(b);
    }

    /// <summary>The property the key so far names exactly, or -1 (names sorted: a whole name comes first in its range).</summary>
    private readonly int ExactName()
    {
        var names = _container!.Names;
        return _lo < _hi && names[_lo].Length == _pos ? _container.NameProperty[_lo] : -1;
    }

    private readonly bool AnyFree(JsonSchemaNode container, int lo, int hi)
    {
        for (var i = lo; i < hi; i++)
        {
            if ((_seen >> container.NameProperty[i] & 1) == 0) return true;
        }
        return false;
    }

    private readonly (int Lo, int Hi) Narrow(byte[][] sorted, byte b) => SortedBytes.Narrow(sorted, _lo, _hi, _pos, b);

    private bool StringByte(byte b)
    {
        var value = _value!;
        if (_lex.InPlainString)
        {
            if (b == (byte)'"') return _chars >= value.MinLength && _lex.Advance(b);
            if (_chars >= value.MaxLength) return false;
        }
        if (!_lex.Advance(b)) return false;
        // A character is whole when nothing is pending again: an ASCII byte, a UTF-8 sequence's last byte, an escape's end.
        if (_lex.InPlainString) _chars++;
        return true;
    }

    private bool LiteralByte(byte b)
    {
        var literals = _value!.Literals!;
        if (_lex.Current == Mode.Number && _lex.Depth == _literalDepth && !JsonState.IsNumberByte(b))
        {
            // A number ends at the byte after it: it must be one of the values whole.
            if (!(_lo < _hi && literals[_lo].Length == _pos)) return false;
            _literal = false;
            return AfterValue(b);
        }
        var (lo, hi) = Narrow(literals, b);
        if (lo == hi) return false;
        (_lo, _hi) = (lo, hi);
        _pos++;
        if (!_lex.Advance(b)) return false;
        if (_lex.Depth == _literalDepth && _lex.Current is Mode.After or Mode.Done) _literal = false;
        return true;
    }

    public readonly byte NextClosingByte()
    {
        if (_literal)
        {
            var literals = _value!.Literals!;
            var shortest = _lo;
            for (var i = _lo; i < _hi; i++)
            {
                if (literals[i].Length < literals[shortest].Length) shortest = i;
            }
            return literals[shortest].Length > _pos ? literals[shortest][_pos] : ClosingAfterValue();
        }
        switch (_lex.Current)
        {
            case Mode.Start: return (byte)'{';
            case Mode.Value: return (_lex.InArray ? _container!.Items! : _value!).MinimalFirst;
            case Mode.ArrayFirst: return _container!.MinItems > 0 ? _container.Items!.MinimalFirst : (byte)']';
            case Mode.ObjectFirst: return _container!.Required != 0 ? (byte)'"' : (byte)'}';
            case Mode.ObjectKey: return (byte)'"';
            case Mode.After: return ClosingAfterValue();
            case Mode.Number: return _lex.ClosingByte is (byte)'0' ? (byte)'0' : ClosingAfterValue();
            case Mode.String when _lex.InKey: return ClosingKeyByte();
            case Mode.String when _lex.InPlainString: return _chars < _value!.MinLength ? (byte)'a' : (byte)'"';
            default: return _lex.ClosingByte;
        }
    }

    private readonly byte ClosingAfterValue()
    {
        var container = _container!;
        if (_lex.InArray) return _items < container.MinItems ? (byte)',' : (byte)']';
        return (container.Required & ~_seen) != 0 ? (byte)',' : (byte)'}';
    }

    /// <summary>The next byte of the cheapest key: a missing required name, else any free name, else an additional one.</summary>
    private readonly byte ClosingKeyByte()
    {
        var container = _container!;
        var names = container.Names;
        int free = -1, required = -1;
        for (var i = _extraKey ? _hi : _lo; i < _hi; i++)
        {
            var property = container.NameProperty[i];
            if ((_seen >> property & 1) != 0) continue;
            if (free < 0) free = i;
            if ((container.Required >> property & 1) != 0 && required < 0) required = i;
        }
        var target = required >= 0 ? required : free;
        if (target >= 0) return names[target].Length == _pos ? (byte)'"' : names[target][_pos];
        if (!_lex.InPlainString) return _lex.ClosingByte;
        // An additional property's key: close it, unless it spells a used name so far; then step off that name.
        if (_extraKey || _lo == _hi || names[_lo].Length != _pos) return (byte)'"';
        for (var b = (byte)'a'; b <= (byte)'z'; b++)
        {
            var (lo, hi) = Narrow(names, b);
            if (lo == hi) return b;
        }
        return (byte)'_';
    }
}
