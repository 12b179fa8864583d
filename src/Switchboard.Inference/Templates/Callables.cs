namespace Switchboard.Inference.Templates;

internal interface ICallable
{
    string Name { get; }

    object? Call(CallArgs args);
}

internal sealed class BuiltinFunction(string name, Func<CallArgs, object?> body) : ICallable
{
    public string Name { get; } = name;

    public object? Call(CallArgs args) => body(args);
}

internal delegate object? Filter(object? value, CallArgs args);

internal delegate bool TestFunction(object? value, CallArgs args);
