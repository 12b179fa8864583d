using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Inference.Templates;

/// <summary>
/// Splits template source into text and tag tokens the way Jinja2 does with <c>trim_blocks</c> and
/// <c>lstrip_blocks</c> on, so whitespace control is settled here and the parser only sees what will be emitted.
/// </summary>
internal sealed partial class Lexer
{
    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "*", "/", "%", "~", "[", "]", "(", ")", "{", "}", ".", ":", "|", ",", ";", "=", "<", ">",
    ];

    private readonly string _src;
    private readonly List<int> _lineStarts = [0];
    private readonly List<Token> _tokens = [];
    private int _pos;
    private bool _lineStarting = true;

    private Lexer(string source)
    {
        _src = source;
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n') _lineStarts.Add(i + 1);
        }
    }

    public static List<Token> Tokenize(string source)
    {
        // Jinja normalises line endings and, without keep_trailing_newline, drops one final newline.
        source = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (source.EndsWith('\n')) source = source[..^1];
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial Regex EndRawRegex();

    private SourcePos PosOf(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        if (index < 0) index = ~index - 1;
        return new SourcePos(index + 1, offset - _lineStarts[index] + 1);
    }

    private ChatTemplateException Error(int offset, string message) => new(PosOf(offset), message);

    private void Run()
    {
        while (_pos < _src.Length)
        {
            var tag = FindTagStart(_pos);
            if (tag < 0)
            {
                EmitText(_pos, _src[_pos..]);
                _pos = _src.Length;
                break;
            }

            var kind = _src[tag + 1];
            var modifier = tag + 2 < _src.Length ? _src[tag + 2] : '\0';
            var text = _src[_pos..tag];
            if (modifier == '-')
            {
                text = text.TrimEnd();
            }
            else if (modifier != '+' && kind != '{')
            {
                // lstrip_blocks: only when nothing but blanks sits between the line start and the tag.
                var lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || _lineStarting) && IsBlank(text.AsSpan(lineStart))) text = text[..lineStart];
            }

            EmitText(_pos, text);
            var inner = tag + 2 + (modifier is '-' or '+' ? 1 : 0);
            switch (kind)
            {
                case '#':
                    LexComment(tag, inner);
                    break;
                case '{':
                    _tokens.Add(new Token(TokenKind.VariableBegin, "{{", PosOf(tag)));
                    LexTagBody(inner, block: false);
                    break;
                default:
                    _tokens.Add(new Token(TokenKind.BlockBegin, "{%", PosOf(tag)));
                    var start = _tokens.Count;
                    LexTagBody(inner, block: true);
                    if (_tokens.Count == start + 2 && _tokens[start].IsName("raw")) LexRaw(start);
                    break;
            }
        }

        _tokens.Add(new Token(TokenKind.End, "", PosOf(_src.Length)));
    }

    private static bool IsBlank(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not (' ' or '\t' or '\r' or '\f' or '\v')) return false;
        }

        return true;
    }

    private int FindTagStart(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
        {
            if (_src[i + 1] is '{' or '%' or '#') return i;
        }

        return -1;
    }

    private void EmitText(int offset, string text)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, PosOf(offset)));
    }

    /// <summary>Moves past a closing tag: <c>-</c> eats all following whitespace, trim_blocks one newline.</summary>
    private void AfterTag(int afterClose, char closeModifier, bool block)
    {
        _pos = afterClose;
        if (closeModifier == '-')
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) _pos++;
        }
        else if (block && closeModifier != '+' && _pos < _src.Length && _src[_pos] == '\n')
        {
            _pos++;
        }

        _lineStarting = _pos > 0 && _src[_pos - 1] == '\n';
    }

    private void LexComment(int tag, int inner)
    {
        var close = _src.IndexOf("#}", inner, StringComparison.Ordinal);
        if (close < 0) throw Error(tag, "unclosed comment: missing '#}'");
        var modifier = close > inner && _src[close - 1] is '-' or '+' ? _src[close - 1] : '\0';
        AfterTag(close + 2, modifier, block: true);
    }

    private void LexRaw(int start)
    {
        var match = EndRawRegex().Match(_src, _pos);
        if (!match.Success) throw new ChatTemplateException(_tokens[start].Pos, "missing '{% endraw %}'");
        var content = _src[_pos..match.Index];
        if (match.Groups[1].Value == "-") content = content.TrimEnd();
        _tokens.RemoveRange(start - 1, 3);
        EmitText(_pos, content);
        AfterTag(match.Index + match.Length, match.Groups[2].Value is { Length: 1 } m ? m[0] : '\0', block: true);
    }

    private void LexTagBody(int p, bool block)
    {
        var depth = 0;
        while (true)
        {
            while (p < _src.Length && char.IsWhiteSpace(_src[p])) p++;
            if (p >= _src.Length) throw Error(p, block ? "unclosed block tag: missing '%}'" : "unclosed expression: missing '}}'");

            if (TryClose(p, block, depth, out var closeLength, out var modifier))
            {
                _tokens.Add(new Token(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, block ? "%}" : "}}", PosOf(p)));
                AfterTag(p + closeLength, modifier, block);
                return;
            }

            var c = _src[p];
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var s = p;
                while (p < _src.Length && (char.IsAsciiLetterOrDigit(_src[p]) || _src[p] == '_')) p++;
                _tokens.Add(new Token(TokenKind.Name, _src[s..p], PosOf(s)));
            }
            else if (char.IsAsciiDigit(c))
            {
                p = LexNumber(p);
            }
            else if (c is '\'' or '"')
            {
                p = LexString(p);
            }
            else
            {
                var op = Array.Find(Operators, o => string.CompareOrdinal(_src, p, o, 0, o.Length) == 0)
                    ?? throw Error(p, $"unexpected character '{c}'");
                if (op == "{") depth++;
                else if (op == "}") depth--;
                _tokens.Add(new Token(TokenKind.Operator, op, PosOf(p)));
                p += op.Length;
            }
        }
    }

    private bool TryClose(int p, bool block, int depth, out int length, out char modifier)
    {
        var close = block ? "%}" : "}}";
        modifier = '\0';
        length = 0;
        if (!block && depth > 0) return false;
        if (_src[p] is '-' or '+' && string.CompareOrdinal(_src, p + 1, close, 0, 2) == 0 && (block || _src[p] == '-'))
        {
            modifier = _src[p];
            length = 3;
            return true;
        }

        if (string.CompareOrdinal(_src, p, close, 0, 2) != 0) return false;
        length = 2;
        return true;
    }

    private int LexNumber(int p)
    {
        var s = p;
        while (p < _src.Length && (char.IsAsciiDigit(_src[p]) || _src[p] == '_')) p++;
        var isFloat = false;
        if (p + 1 < _src.Length && _src[p] == '.' && char.IsAsciiDigit(_src[p + 1]))
        {
            isFloat = true;
            p++;
            while (p < _src.Length && (char.IsAsciiDigit(_src[p]) || _src[p] == '_')) p++;
        }

        if (p < _src.Length && _src[p] is 'e' or 'E')
        {
            var q = p + 1;
            if (q < _src.Length && _src[q] is '+' or '-') q++;
            if (q < _src.Length && char.IsAsciiDigit(_src[q]))
            {
                isFloat = true;
                p = q;
                while (p < _src.Length && char.IsAsciiDigit(_src[p])) p++;
            }
        }

        var text = _src[s..p].Replace("_", "", StringComparison.Ordinal);
        object number = isFloat
            ? (object)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? (object)l : throw Error(s, "integer literal too large");
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, PosOf(s), number));
        return p;
    }

    private int LexString(int p)
    {
        var quote = _src[p];
        var s = p;
        var sb = new StringBuilder();
        p++;
        while (true)
        {
            if (p >= _src.Length) throw Error(s, "unterminated string literal");
            var c = _src[p];
            if (c == quote)
            {
                p++;
                break;
            }

            if (c != '\\' || p + 1 >= _src.Length)
            {
                sb.Append(c);
                p++;
                continue;
            }

            p = Unescape(p + 1, sb);
        }

        _tokens.Add(new Token(TokenKind.String, sb.ToString(), PosOf(s)));
        return p;
    }

    /// <summary>Python's unicode-escape rules, which Jinja applies to string literals.</summary>
    private int Unescape(int p, StringBuilder sb)
    {
        var c = _src[p];
        switch (c)
        {
            case 'n': sb.Append('\n'); return p + 1;
            case 't': sb.Append('\t'); return p + 1;
            case 'r': sb.Append('\r'); return p + 1;
            case '\\': sb.Append('\\'); return p + 1;
            case '\'': sb.Append('\''); return p + 1;
            case '"': sb.Append('"'); return p + 1;
            case 'a': sb.Append('\a'); return p + 1;
            case 'b': sb.Append('\b'); return p + 1;
            case 'f': sb.Append('\f'); return p + 1;
            case 'v': sb.Append('\v'); return p + 1;
            case '\n': return p + 1;
            case 'x': return AppendHex(p, 2, sb);
            case 'u': return AppendHex(p, 4, sb);
            case 'U': return AppendHex(p, 8, sb);
        }

        if (c is >= '0' and <= '7')
        {
            var end = p;
            while (end < _src.Length && end < p + 3 && _src[end] is >= '0' and <= '7') end++;
            sb.Append((char)Convert.ToInt32(_src[p..end], 8));
            return end;
        }

        sb.Append('\\').Append(c);
        return p + 1;
    }

    private int AppendHex(int p, int digits, StringBuilder sb)
    {
        if (p + 1 + digits > _src.Length
            || !int.TryParse(_src.AsSpan(p + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw Error(p - 1, "invalid escape sequence in string literal");
        }

        sb.Append(char.ConvertFromUtf32(code));
        return p + 1 + digits;
    }
}
