using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>Walks the parsed template, writing output; runtime errors become <see cref="ChatTemplateException"/> with a position.</summary>
internal sealed class Renderer
{
    private const int MaxCallDepth = 64;
    private int _callDepth;

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(IReadOnlyList<Stmt> body, Frame globals)
    {
        var output = new StringBuilder();
        Execute(body, globals, output);
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<Stmt> body, Frame frame, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            Flow flow;
            try
            {
                flow = ExecuteOne(stmt, frame, output);
            }
            catch (TemplateRuntimeException e)
            {
                throw new ChatTemplateException(stmt.Pos, e.Message);
            }

            if (flow != Flow.Normal) return flow;
        }

        return Flow.Normal;
    }

    private Flow ExecuteOne(Stmt stmt, Frame frame, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputStmt o:
                output.Append(PyOps.ToStr(Evaluate(o.Value, frame)));
                return Flow.Normal;
            case IfStmt s:
                foreach (var (condition, branch) in s.Branches)
                {
                    if (PyOps.IsTruthy(Evaluate(condition, frame))) return Execute(branch, frame, output);
                }

                return Execute(s.Else, frame, output);
            case ForStmt s:
                return ExecuteFor(s, frame, output);
            case SetStmt s:
                Assign(s.Target, Evaluate(s.Value, frame), frame);
                return Flow.Normal;
            case SetBlockStmt s:
                Assign(s.Target, RenderBody(s.Body, s.Filter, frame), frame);
                return Flow.Normal;
            case FilterBlockStmt s:
                output.Append(PyOps.ToStr(RenderBody(s.Body, s.Filter, frame)));
                return Flow.Normal;
            case MacroStmt s:
                frame.Set(s.Name, new Macro(this, s, frame));
                return Flow.Normal;
            case BlockStmt s:
                return Execute(s.Body, frame, output);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown statement {stmt.GetType().Name}");
        }
    }

    private object? RenderBody(IReadOnlyList<Stmt> body, Expr? filter, Frame frame)
    {
        var text = new StringBuilder();
        Execute(body, frame, text);
        if (filter is null) return text.ToString();
        var scope = new Frame(frame);
        scope.Set(Parser.BodyVariable, text.ToString());
        return Evaluate(filter, scope);
    }

    private Flow ExecuteFor(ForStmt s, Frame frame, StringBuilder output)
    {
        var source = Evaluate(s.Iterable, frame);
        if (source is null) throw new TemplateRuntimeException("'NoneType' object is not iterable");
        var items = PyOps.Iterate(source);
        if (s.Filter is not null)
        {
            items = items.Where(item =>
            {
                var scope = new Frame(frame);
                Assign(s.Target, item, scope);
                return PyOps.IsTruthy(Evaluate(s.Filter, scope));
            }).ToList();
        }

        if (items.Count == 0) return Execute(s.Else, frame, output);
        var loop = new LoopContext(items);
        for (var i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var scope = new Frame(frame);
            scope.Set("loop", loop);
            Assign(s.Target, items[i], scope);
            if (Execute(s.Body, scope, output) == Flow.Break) break;
        }

        return Flow.Normal;
    }

    private void Assign(Expr target, object? value, Frame frame)
    {
        switch (target)
        {
            case NameExpr name:
                frame.Set(name.Name, value);
                break;
            case TupleExpr tuple:
                if (value is not (IList<object?> or string or PyDict))
                {
                    throw new TemplateRuntimeException($"cannot unpack non-iterable {PyOps.TypeName(value)} object");
                }

                var items = PyOps.Iterate(value);
                if (items.Count != tuple.Items.Count)
                {
                    throw new TemplateRuntimeException($"expected {tuple.Items.Count} values to unpack, got {items.Count}");
                }

                for (var i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], frame);
                break;
            case AttrExpr { Target: NameExpr owner } attr:
                if (Evaluate(owner, frame) is not Namespace ns)
                {
                    throw new TemplateRuntimeException($"cannot assign attribute on non-namespace object '{owner.Name}'");
                }

                ns.Attributes[attr.Name] = value;
                break;
            default:
                throw new TemplateRuntimeException("invalid assignment target");
        }
    }

    public object? Evaluate(Expr expr, Frame frame)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                if (frame.TryGet(n.Name, out var value)) return value;
                return Globals.TryGet(n.Name, out var global) ? global : new Undefined(n.Name);
            case AttrExpr a:
                return PyOps.GetAttribute(Evaluate(a.Target, frame), a.Name);
            case ItemExpr i:
                return PyOps.GetItem(Evaluate(i.Target, frame), Evaluate(i.Key, frame));
            case SliceExpr s:
                return PyOps.Slice(Evaluate(s.Target, frame), EvaluateOptional(s.Start, frame), EvaluateOptional(s.Stop, frame), EvaluateOptional(s.Step, frame));
            case ListExpr l:
                return l.Items.Select(x => Evaluate(x, frame)).ToList();
            case TupleExpr t:
                return t.Items.Select(x => Evaluate(x, frame)).ToArray();
            case DictExpr d:
                var dict = new PyDict();
                foreach (var (k, v) in d.Items)
                {
                    var key = Evaluate(k, frame);
                    if (key is null or Undefined or List<object?> or PyDict) throw new TemplateRuntimeException($"unhashable dict key of type '{PyOps.TypeName(key)}'");
                    dict[key] = Evaluate(v, frame);
                }

                return dict;
            case CallExpr c:
                return Call(c, frame);
            case FilterExpr f:
                return f.Filter(Evaluate(f.Subject, frame), EvaluateArguments(f.Args, f.Kwargs, frame));
            case TestExpr t:
                var passed = t.Test(Evaluate(t.Subject, frame), EvaluateArguments(t.Args, [], frame));
                return passed != t.Negated;
            case UnaryExpr u:
                var operand = Evaluate(u.Operand, frame);
                return u.Op switch
                {
                    "not" => !PyOps.IsTruthy(operand),
                    "-" => PyOps.Negate(operand),
                    _ => PyOps.IsNumber(operand) ? operand : throw new TemplateRuntimeException($"bad operand type for unary +: '{PyOps.TypeName(operand)}'"),
                };
            case BinaryExpr b:
                return EvaluateBinary(b, frame);
            case CompareExpr c:
                return EvaluateCompare(c, frame);
            case ConditionalExpr c:
                return PyOps.IsTruthy(Evaluate(c.Condition, frame))
                    ? Evaluate(c.Then, frame)
                    : c.Else is null ? Undefined.Anonymous : Evaluate(c.Else, frame);
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private object? EvaluateOptional(Expr? expr, Frame frame) => expr is null ? null : Evaluate(expr, frame);

    private CallArgs EvaluateArguments(IReadOnlyList<Expr> args, IReadOnlyList<(string Name, Expr Value)> kwargs, Frame frame)
    {
        if (args.Count == 0 && kwargs.Count == 0) return CallArgs.Empty;
        return new CallArgs(
            args.Select(a => Evaluate(a, frame)).ToList(),
            kwargs.Select(k => new KeyValuePair<string, object?>(k.Name, Evaluate(k.Value, frame))).ToList());
    }

    private object? Call(CallExpr c, Frame frame)
    {
        var callee = Evaluate(c.Callee, frame);
        var args = EvaluateArguments(c.Args, c.Kwargs, frame);
        return callee switch
        {
            ICallable f => f.Call(args),
            Undefined u => throw new TemplateRuntimeException(c.Callee is AttrExpr a
                ? $"'{PyOps.TypeName(Evaluate(a.Target, frame))}' object has no method '{a.Name}'"
                : $"{u.Describe()} (called as a function)"),
            _ => throw new TemplateRuntimeException($"'{PyOps.TypeName(callee)}' object is not callable"),
        };
    }

    private object? EvaluateBinary(BinaryExpr b, Frame frame)
    {
        var left = Evaluate(b.Left, frame);
        switch (b.Op)
        {
            case "and":
                return PyOps.IsTruthy(left) ? Evaluate(b.Right, frame) : left;
            case "or":
                return PyOps.IsTruthy(left) ? left : Evaluate(b.Right, frame);
        }

        var right = Evaluate(b.Right, frame);
        return b.Op == "~" ? PyOps.ToStr(left) + PyOps.ToStr(right) : PyOps.Arithmetic(b.Op, left, right);
    }

    private bool EvaluateCompare(CompareExpr c, Frame frame)
    {
        var left = Evaluate(c.First, frame);
        foreach (var (op, operand) in c.Rest)
        {
            var right = Evaluate(operand, frame);
            var holds = op switch
            {
                "==" => PyOps.AreEqual(left, right),
                "!=" => !PyOps.AreEqual(left, right),
                "<" => PyOps.Compare(left, right) < 0,
                "<=" => PyOps.Compare(left, right) <= 0,
                ">" => PyOps.Compare(left, right) > 0,
                ">=" => PyOps.Compare(left, right) >= 0,
                "in" => PyOps.Contains(right, left),
                "not in" => !PyOps.Contains(right, left),
                _ => throw new InvalidOperationException(op),
            };
            if (!holds) return false;
            left = right;
        }

        return true;
    }

    private sealed class Macro(Renderer renderer, MacroStmt definition, Frame closure) : ICallable
    {
        public string Name => definition.Name;

        public object? Call(CallArgs args)
        {
            if (renderer._callDepth >= MaxCallDepth) throw new TemplateRuntimeException($"macro '{Name}' recursed too deeply");
            var frame = new Frame(closure);
            var parameters = definition.Parameters;
            var extra = new List<object?>();
            for (var i = 0; i < args.Positional.Count; i++)
            {
                if (i < parameters.Count) frame.Set(parameters[i].Name, args.Positional[i]);
                else extra.Add(args.Positional[i]);
            }

            var kwargs = new PyDict();
            foreach (var (key, value) in args.Named)
            {
                if (parameters.Any(p => string.Equals(p.Name, key, StringComparison.Ordinal))) frame.Set(key, value);
                else kwargs[key] = value;
            }

            for (var i = args.Positional.Count; i < parameters.Count; i++)
            {
                var (name, fallback) = parameters[i];
                if (frame.TryGet(name, out _) && args.Named.Any(n => string.Equals(n.Key, name, StringComparison.Ordinal))) continue;
                frame.Set(name, fallback is null ? new Undefined(name) : renderer.Evaluate(fallback, frame));
            }

            frame.Set("varargs", extra.ToArray());
            frame.Set("kwargs", kwargs);
            var output = new StringBuilder();
            renderer._callDepth++;
            try
            {
                renderer.Execute(definition.Body, frame, output);
            }
            finally
            {
                renderer._callDepth--;
            }

            return output.ToString();
        }
    }
}
