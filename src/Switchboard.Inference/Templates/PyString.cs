using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>Python str behaviour: lengths and indices count code points, whitespace is Unicode whitespace.</summary>
internal static class PyString
{
    public static long Length(string s)
    {
        var surrogates = 0;
        foreach (var c in s)
        {
            if (char.IsLowSurrogate(c)) surrogates++;
        }

        return s.Length - surrogates;
    }

    public static List<string> Chars(string s)
    {
        var chars = new List<string>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                chars.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                chars.Add(s[i].ToString());
            }
        }

        return chars;
    }

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        bool Strippable(char c) => chars is null ? char.IsWhiteSpace(c) : chars.Contains(c, StringComparison.Ordinal);
        int start = 0, end = s.Length;
        if (left)
        {
            while (start < end && Strippable(s[start])) start++;
        }

        if (right)
        {
            while (end > start && Strippable(s[end - 1])) end--;
        }

        return s[start..end];
    }

    public static List<object?> Split(string s, string? separator, long maxSplit)
    {
        var parts = new List<object?>();
        if (separator is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(s[i..].TrimEnd());
                    break;
                }

                var start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }

            return parts;
        }

        if (separator.Length == 0) throw new TemplateRuntimeException("empty separator");
        var from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            var at = s.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + separator.Length;
        }

        parts.Add(s[from..]);
        return parts;
    }

    public static List<object?> RSplit(string s, string? separator, long maxSplit)
    {
        if (separator is null || maxSplit < 0) return Split(s, separator, maxSplit);
        var parts = new List<object?>();
        var to = s.Length;
        while (parts.Count < maxSplit)
        {
            var at = to == 0 ? -1 : s.LastIndexOf(separator, to - 1, StringComparison.Ordinal);
            if (at < 0 || at + separator.Length > to) break;
            parts.Insert(0, s[(at + separator.Length)..to]);
            to = at;
        }

        parts.Insert(0, s[..to]);
        return parts;
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title(): a letter after a non-letter is upper-cased, other letters lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }

        return sb.ToString();
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, replacement) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        var from = 0;
        for (var n = 0; n < count; n++)
        {
            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0 || (old.Length == 0 && at >= s.Length)) break;
            sb.Append(s, from, at - from).Append(replacement);
            if (old.Length == 0)
            {
                sb.Append(s[at]);
                from = at + 1;
            }
            else
            {
                from = at + old.Length;
            }
        }

        return sb.Append(s, from, s.Length - from).ToString();
    }

    private static string InsertEverywhere(string s, string insert)
    {
        var sb = new StringBuilder(insert);
        foreach (var c in Chars(s)) sb.Append(c).Append(insert);
        return sb.ToString();
    }
}
