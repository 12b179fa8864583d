namespace Switchboard.Inference.Templates;

/// <summary>Jinja's built-in tests (<c>x is defined</c>, <c>x is string</c>, ...).</summary>
internal static class Tests
{
    private static readonly Dictionary<string, TestFunction> Registry = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["string"] = (v, _) => v is string,
        ["number"] = (v, _) => v is long or double or bool,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["mapping"] = (v, _) => v is PyDict,
        ["iterable"] = (v, _) => v is string or IList<object?> or PyDict or Undefined,
        ["sequence"] = (v, _) => v is string or IList<object?> or PyDict,
        ["callable"] = (v, _) => v is ICallable,
        ["odd"] = (v, _) => Integer(v) % 2 != 0,
        ["even"] = (v, _) => Integer(v) % 2 == 0,
        ["divisibleby"] = (v, a) => Integer(v) % Integer(a.Get(0, "num")) == 0,
        ["eq"] = (v, a) => PyOps.AreEqual(v, a.Get(0, "other")),
        ["ne"] = (v, a) => !PyOps.AreEqual(v, a.Get(0, "other")),
        ["lt"] = (v, a) => PyOps.Compare(v, a.Get(0, "other")) < 0,
        ["le"] = (v, a) => PyOps.Compare(v, a.Get(0, "other")) <= 0,
        ["gt"] = (v, a) => PyOps.Compare(v, a.Get(0, "other")) > 0,
        ["ge"] = (v, a) => PyOps.Compare(v, a.Get(0, "other")) >= 0,
        ["in"] = (v, a) => PyOps.Contains(a.Get(0, "seq"), v),
        ["sameas"] = (v, a) => ReferenceEquals(v, a.Get(0, "other")) || (v is null or bool && PyOps.AreEqual(v, a.Get(0, "other"))),
        ["lower"] = (v, _) => v is string s && string.Equals(s, s.ToLowerInvariant(), StringComparison.Ordinal),
        ["upper"] = (v, _) => v is string s && string.Equals(s, s.ToUpperInvariant(), StringComparison.Ordinal),
    };

    static Tests()
    {
        foreach (var (alias, name) in new[] { ("equalto", "eq"), ("==", "eq"), ("!=", "ne"), ("lessthan", "lt"), ("<", "lt"), ("<=", "le"), ("greaterthan", "gt"), (">", "gt"), (">=", "ge") })
        {
            Registry[alias] = Registry[name];
        }
    }

    public static TestFunction? Find(string name) => Registry.GetValueOrDefault(name);

    public static TestFunction Get(string name) =>
        Find(name) ?? throw new TemplateRuntimeException($"no test named '{name}'");

    private static long Integer(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d when d == Math.Floor(d) => (long)d,
        Undefined u => throw new TemplateRuntimeException(u.Describe()),
        _ => throw new TemplateRuntimeException($"expected an integer, got '{PyOps.TypeName(v)}'"),
    };
}
