using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>Python semantics for the operations Jinja delegates to Python: truth, ==, ordering, arithmetic.</summary>
internal static partial class PyOps
{
    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        object?[] => "tuple",
        List<object?> => "list",
        PyDict => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        ICallable => "function",
        _ => value.GetType().Name,
    };

    private static bool IsTuple(object? value) => value is object?[];

    public static bool IsNumber(object? value) => value is long or double or bool;

    private static double AsDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    private static long AsLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidOperationException(),
    };

    public static bool AreEqual(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? AsDouble(a) == AsDouble(b) : AsLong(a) == AsLong(b);
        if (a is string sa) return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is IList<object?> la && b is IList<object?> lb)
        {
            if (IsTuple(la) != IsTuple(lb) || la.Count != lb.Count) return false;
            for (var i = 0; i < la.Count; i++)
            {
                if (!AreEqual(la[i], lb[i])) return false;
            }

            return true;
        }

        if (a is PyDict da && b is PyDict db)
        {
            if (da.Count != db.Count) return false;
            foreach (var (k, v) in da)
            {
                if (!db.TryGetValue(k, out var other) || !AreEqual(v, other)) return false;
            }

            return true;
        }

        return ReferenceEquals(a, b);
    }

    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return a is double || b is double ? AsDouble(a).CompareTo(AsDouble(b)) : AsLong(a).CompareTo(AsLong(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is IList<object?> la && b is IList<object?> lb && IsTuple(la) == IsTuple(lb))
        {
            for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!AreEqual(la[i], lb[i])) return Compare(la[i], lb[i]);
            }

            return la.Count.CompareTo(lb.Count);
        }

        if (a is Undefined u) throw new TemplateRuntimeException(u.Describe());
        if (b is Undefined u2) throw new TemplateRuntimeException(u2.Describe());
        throw new TemplateRuntimeException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw new TemplateRuntimeException(ua.Describe());
        if (b is Undefined ub) throw new TemplateRuntimeException(ub.Describe());
        if (IsNumber(a) && IsNumber(b)) return NumberArithmetic(op, a, b);
        switch (op)
        {
            case "+" when a is string sa && b is string sb:
                return sa + sb;
            case "+" when a is IList<object?> la && b is IList<object?> lb && IsTuple(la) == IsTuple(lb):
                var joined = new List<object?>(la.Count + lb.Count);
                joined.AddRange(la);
                joined.AddRange(lb);
                return IsTuple(la) ? joined.ToArray() : joined;
            case "*" when a is string s && b is long or bool:
                return Repeat(s, AsLong(b));
            case "*" when b is string s && a is long or bool:
                return Repeat(s, AsLong(a));
            case "*" when a is List<object?> list && b is long or bool:
                return Enumerable.Repeat(list, (int)Math.Max(0, AsLong(b))).SelectMany(x => x).ToList();
            case "%" when a is string format:
                return Formatting.Percent(format, b is object?[] t ? t : [b]);
        }

        throw new TemplateRuntimeException($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static string Repeat(string s, long count)
    {
        if (count <= 0) return "";
        var sb = new StringBuilder(s.Length * (int)count);
        for (var i = 0; i < count; i++) sb.Append(s);
        return sb.ToString();
    }

    private static object NumberArithmetic(string op, object? a, object? b)
    {
        var integral = a is not double && b is not double;
        if (integral)
        {
            long x = AsLong(a), y = AsLong(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw new TemplateRuntimeException("division by zero") : (double)x / y;
                case "//": return y == 0 ? throw new TemplateRuntimeException("integer division or modulo by zero") : FloorDiv(x, y);
                case "%": return y == 0 ? throw new TemplateRuntimeException("integer division or modulo by zero") : x - (y * FloorDiv(x, y));
                case "**" when y >= 0:
                    long result = 1;
                    for (var i = 0; i < y; i++) result *= x;
                    return result;
            }
        }

        double p = AsDouble(a), q = AsDouble(b);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw new TemplateRuntimeException("float division by zero") : p / q,
            "//" => q == 0 ? throw new TemplateRuntimeException("float floor division by zero") : Math.Floor(p / q),
            "%" => q == 0 ? throw new TemplateRuntimeException("float modulo") : p - (q * Math.Floor(p / q)),
            "**" => Math.Pow(p, q),
            _ => throw new TemplateRuntimeException($"unknown operator {op}"),
        };
    }

    private static long FloorDiv(long x, long y)
    {
        var q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return q;
    }

    public static object? Negate(object? value) => value switch
    {
        long l => (object)(-l),
        double d => (object)(-d),
        bool b => b ? -1L : 0L,
        Undefined u => throw new TemplateRuntimeException(u.Describe()),
        _ => throw new TemplateRuntimeException($"bad operand type for unary -: '{TypeName(value)}'"),
    };
}
