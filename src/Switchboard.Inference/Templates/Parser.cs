namespace Switchboard.Inference.Templates;

/// <summary>
/// Recursive-descent parser for the Jinja2 subset chat templates use, with Jinja's operator precedence.
/// Unknown tags, filters and tests are rejected here so a bad template fails at model load, not per request.
/// </summary>
internal sealed class Parser
{
    /// <summary>The variable holding the rendered body in filter blocks and block sets; not a legal Jinja name.</summary>
    public const string BodyVariable = "<body>";

    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "include", "import", "from", "extends", "block", "call", "with", "do", "autoescape", "trans",
    };

    private static readonly HashSet<string> CompareOps = new(StringComparer.Ordinal) { "==", "!=", "<", ">", "<=", ">=" };

    private readonly List<Token> _tokens;
    private int _index;
    private int _loopDepth;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static List<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        return parser.ParseBody([]).Body;
    }

    private Token Peek => _tokens[_index];

    private Token PeekAt(int offset) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    private Token Next() => _tokens[_index++];

    private static ChatTemplateException Error(Token token, string message) => new(token.Pos, message);

    private Token Expect(TokenKind kind, string? value, string what)
    {
        var token = Peek;
        if (token.Kind != kind || (value is not null && !string.Equals(token.Value, value, StringComparison.Ordinal)))
        {
            throw Error(token, $"expected {what}, got {token.Describe()}");
        }

        return Next();
    }

    private void ExpectOp(string op) => Expect(TokenKind.Operator, op, $"'{op}'");

    private string ExpectName() => Expect(TokenKind.Name, null, "a name").Value;

    private void ExpectBlockEnd() => Expect(TokenKind.BlockEnd, null, "'%}'");

    private bool AcceptOp(string op)
    {
        if (!Peek.IsOp(op)) return false;
        _index++;
        return true;
    }

    private bool AcceptName(string name)
    {
        if (!Peek.IsName(name)) return false;
        _index++;
        return true;
    }

    /// <summary>Parses until a block tag named in <paramref name="endTags"/>; leaves that tag's name as the next token.</summary>
    private (List<Stmt> Body, string EndTag) ParseBody(string[] endTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Peek;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    body.Add(new TextStmt(token.Pos, Next().Value));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    body.Add(new OutputStmt(token.Pos, ParseTuple(withConditional: true)));
                    Expect(TokenKind.VariableEnd, null, "'}}'");
                    break;
                case TokenKind.BlockBegin:
                    var name = PeekAt(1);
                    if (name.Kind == TokenKind.Name && endTags.Contains(name.Value, StringComparer.Ordinal))
                    {
                        Next();
                        return (body, name.Value);
                    }

                    Next();
                    ParseStatement(body);
                    break;
                case TokenKind.End:
                    if (endTags.Length > 0) throw Error(token, $"unexpected end of template; expected '{endTags[^1]}'");
                    return (body, "");
                default:
                    throw Error(token, $"unexpected {token.Describe()}");
            }
        }
    }

    private void ParseStatement(List<Stmt> body)
    {
        var token = Peek;
        if (token.Kind != TokenKind.Name) throw Error(token, $"expected a tag name, got {token.Describe()}");
        Next();
        switch (token.Value)
        {
            case "if":
                body.Add(ParseIf(token));
                break;
            case "for":
                body.Add(ParseFor(token));
                break;
            case "set":
                body.Add(ParseSet(token));
                break;
            case "macro":
                body.Add(ParseMacro(token));
                break;
            case "filter":
                body.Add(ParseFilterBlock(token));
                break;
            case "generation":
                ExpectBlockEnd();
                body.Add(new BlockStmt(token.Pos, ParseBlockUntil("endgeneration")));
                break;
            case "break" or "continue":
                if (_loopDepth == 0) throw Error(token, $"'{token.Value}' outside of a loop");
                ExpectBlockEnd();
                body.Add(token.Value == "break" ? new BreakStmt(token.Pos) : new ContinueStmt(token.Pos));
                break;
            case var name when Unsupported.Contains(name):
                throw Error(token, $"the '{name}' tag is not supported in chat templates");
            default:
                throw Error(token, $"unknown tag '{token.Value}'");
        }
    }

    private List<Stmt> ParseBlockUntil(string endTag)
    {
        var (body, _) = ParseBody([endTag]);
        Next();
        ExpectBlockEnd();
        return body;
    }

    private IfStmt ParseIf(Token start)
    {
        var branches = new List<(Expr, IReadOnlyList<Stmt>)>();
        List<Stmt> elseBody = [];
        var condition = ParseTuple(withConditional: true);
        while (true)
        {
            ExpectBlockEnd();
            var (body, tag) = ParseBody(["elif", "else", "endif"]);
            branches.Add((condition, body));
            Next();
            if (tag == "elif")
            {
                condition = ParseTuple(withConditional: true);
                continue;
            }

            if (tag == "else")
            {
                ExpectBlockEnd();
                elseBody = ParseBlockUntil("endif");
            }
            else
            {
                ExpectBlockEnd();
            }

            return new IfStmt(start.Pos, branches, elseBody);
        }
    }

    private ForStmt ParseFor(Token start)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        Expect(TokenKind.Name, "in", "'in'");
        var iterable = ParseTuple(withConditional: false);
        Expr? filter = null;
        if (AcceptName("if")) filter = ParseExpression();
        if (Peek.IsName("recursive")) throw Error(Peek, "recursive loops are not supported");
        ExpectBlockEnd();
        _loopDepth++;
        var (body, tag) = ParseBody(["else", "endfor"]);
        _loopDepth--;
        Next();
        ExpectBlockEnd();
        var elseBody = tag == "else" ? ParseBlockUntil("endfor") : [];
        return new ForStmt(start.Pos, target, iterable, filter, body, elseBody);
    }

    private Stmt ParseSet(Token start)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (AcceptOp("="))
        {
            var value = ParseTuple(withConditional: true);
            ExpectBlockEnd();
            return new SetStmt(start.Pos, target, value);
        }

        if (target is not NameExpr) throw Error(Peek, "a block set needs a single name");
        var filter = ParseFilterChainOnBody(start);
        ExpectBlockEnd();
        var saved = _loopDepth;
        _loopDepth = 0;
        var body = ParseBlockUntil("endset");
        _loopDepth = saved;
        return new SetBlockStmt(start.Pos, target, body, filter);
    }

    private Expr? ParseFilterChainOnBody(Token start)
    {
        if (!Peek.IsOp("|")) return null;
        return ParseFilters(new NameExpr(start.Pos, BodyVariable));
    }

    private FilterBlockStmt ParseFilterBlock(Token start)
    {
        var subject = new NameExpr(start.Pos, BodyVariable);
        var first = Peek;
        var filter = ParseFilter(subject, first);
        var chained = ParseFilters(filter);
        ExpectBlockEnd();
        var body = ParseBlockUntil("endfilter");
        return new FilterBlockStmt(start.Pos, chained, body);
    }

    private MacroStmt ParseMacro(Token start)
    {
        var name = ExpectName();
        ExpectOp("(");
        var parameters = new List<(string, Expr?)>();
        while (!AcceptOp(")"))
        {
            if (parameters.Count > 0) ExpectOp(",");
            if (AcceptOp(")")) break;
            var parameter = ExpectName();
            parameters.Add((parameter, AcceptOp("=") ? ParseExpression() : null));
        }

        ExpectBlockEnd();
        var saved = _loopDepth;
        _loopDepth = 0;
        var body = ParseBlockUntil("endmacro");
        _loopDepth = saved;
        return new MacroStmt(start.Pos, name, parameters, body);
    }

    private Expr ParseAssignTarget(bool allowAttribute)
    {
        var first = Peek;
        var name = ExpectName();
        if (allowAttribute && AcceptOp("."))
        {
            return new AttrExpr(first.Pos, new NameExpr(first.Pos, name), ExpectName());
        }

        if (!Peek.IsOp(",")) return new NameExpr(first.Pos, name);
        var names = new List<Expr> { new NameExpr(first.Pos, name) };
        while (AcceptOp(","))
        {
            var token = Peek;
            names.Add(new NameExpr(token.Pos, ExpectName()));
        }

        return new TupleExpr(first.Pos, names);
    }

    /// <summary>An expression, or a bare tuple <c>a, b</c> where Jinja allows one.</summary>
    private Expr ParseTuple(bool withConditional)
    {
        var start = Peek;
        var first = withConditional ? ParseExpression() : ParseOr();
        if (!Peek.IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (AcceptOp(","))
        {
            if (Peek.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd || Peek.IsOp(")")) break;
            items.Add(withConditional ? ParseExpression() : ParseOr());
        }

        return new TupleExpr(start.Pos, items);
    }

    private Expr ParseExpression()
    {
        var expr = ParseOr();
        while (Peek.IsName("if"))
        {
            var token = Next();
            var condition = ParseOr();
            var otherwise = AcceptName("else") ? ParseExpression() : null;
            expr = new ConditionalExpr(token.Pos, condition, expr, otherwise);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Peek.IsName("or"))
        {
            var token = Next();
            left = new BinaryExpr(token.Pos, "or", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Peek.IsName("and"))
        {
            var token = Next();
            left = new BinaryExpr(token.Pos, "and", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (!Peek.IsName("not")) return ParseCompare();
        var token = Next();
        return new UnaryExpr(token.Pos, "not", ParseNot());
    }

    private Expr ParseCompare()
    {
        var start = Peek;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Peek.Kind == TokenKind.Operator && CompareOps.Contains(Peek.Value))
            {
                rest.Add((Next().Value, ParseMath1()));
            }
            else if (AcceptName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (Peek.IsName("not") && PeekAt(1).IsName("in"))
            {
                _index += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(start.Pos, first, rest);
    }

    private Expr ParseBinaryLevel(Func<Expr> operand, params string[] ops)
    {
        var left = operand();
        while (Peek.Kind == TokenKind.Operator && ops.Contains(Peek.Value, StringComparer.Ordinal))
        {
            var token = Next();
            left = new BinaryExpr(token.Pos, token.Value, left, operand());
        }

        return left;
    }

    private Expr ParseMath1() => ParseBinaryLevel(ParseConcat, "+", "-");

    private Expr ParseConcat() => ParseBinaryLevel(ParseMath2, "~");

    private Expr ParseMath2() => ParseBinaryLevel(ParsePow, "*", "/", "//", "%");

    private Expr ParsePow() => ParseBinaryLevel(() => ParseUnary(withFilter: true), "**");

    private Expr ParseUnary(bool withFilter)
    {
        var token = Peek;
        Expr node;
        if (token.IsOp("-") || token.IsOp("+"))
        {
            Next();
            node = new UnaryExpr(token.Pos, token.Value, ParseUnary(withFilter: false));
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilters(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Pos, true),
                    "false" or "False" => new LiteralExpr(token.Pos, false),
                    "none" or "None" => new LiteralExpr(token.Pos, null),
                    _ => new NameExpr(token.Pos, token.Value),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Peek.Kind == TokenKind.String) text += Next().Value;
                return new LiteralExpr(token.Pos, text);
            case TokenKind.Integer or TokenKind.Float:
                return new LiteralExpr(token.Pos, token.Number);
        }

        if (token.IsOp("("))
        {
            if (AcceptOp(")")) return new TupleExpr(token.Pos, []);
            var first = ParseExpression();
            if (AcceptOp(")")) return first;
            var items = new List<Expr> { first };
            while (AcceptOp(","))
            {
                if (Peek.IsOp(")")) break;
                items.Add(ParseExpression());
            }

            ExpectOp(")");
            return new TupleExpr(token.Pos, items);
        }

        if (token.IsOp("["))
        {
            var items = new List<Expr>();
            while (!AcceptOp("]"))
            {
                if (items.Count > 0) ExpectOp(",");
                if (AcceptOp("]")) break;
                items.Add(ParseExpression());
            }

            return new ListExpr(token.Pos, items);
        }

        if (token.IsOp("{"))
        {
            var items = new List<(Expr, Expr)>();
            while (!AcceptOp("}"))
            {
                if (items.Count > 0) ExpectOp(",");
                if (AcceptOp("}")) break;
                var key = ParseExpression();
                ExpectOp(":");
                items.Add((key, ParseExpression()));
            }

            return new DictExpr(token.Pos, items);
        }

        throw Error(token, $"unexpected {token.Describe()}");
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Peek;
            if (AcceptOp("."))
            {
                var member = Next();
                node = member.Kind switch
                {
                    TokenKind.Name => new AttrExpr(token.Pos, node, member.Value),
                    TokenKind.Integer => new ItemExpr(token.Pos, node, new LiteralExpr(member.Pos, member.Number)),
                    _ => throw Error(member, $"expected an attribute name, got {member.Describe()}"),
                };
            }
            else if (AcceptOp("["))
            {
                node = ParseSubscript(token, node);
            }
            else if (AcceptOp("("))
            {
                node = ParseCall(token, node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Token token, Expr target)
    {
        Expr? start = Peek.IsOp(":") ? null : ParseExpression();
        if (!AcceptOp(":"))
        {
            ExpectOp("]");
            return new ItemExpr(token.Pos, target, start!);
        }

        Expr? stop = Peek.IsOp(":") || Peek.IsOp("]") ? null : ParseExpression();
        Expr? step = null;
        if (AcceptOp(":") && !Peek.IsOp("]")) step = ParseExpression();
        ExpectOp("]");
        return new SliceExpr(token.Pos, target, start, stop, step);
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!AcceptOp(")"))
        {
            if (args.Count + kwargs.Count > 0) ExpectOp(",");
            if (AcceptOp(")")) break;
            if (Peek.IsOp("*") || Peek.IsOp("**")) throw Error(Peek, "*args and **kwargs in calls are not supported");
            if (Peek.Kind == TokenKind.Name && PeekAt(1).IsOp("="))
            {
                var name = Next().Value;
                Next();
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw Error(Peek, "positional argument follows keyword argument");
                args.Add(ParseExpression());
            }
        }

        return (args, kwargs);
    }

    private CallExpr ParseCall(Token token, Expr callee)
    {
        var (args, kwargs) = ParseArguments();
        return new CallExpr(token.Pos, callee, args, kwargs);
    }

    private Expr ParseFilters(Expr node)
    {
        while (true)
        {
            var token = Peek;
            if (AcceptOp("|"))
            {
                node = ParseFilter(node, Peek);
            }
            else if (AcceptName("is"))
            {
                node = ParseTest(token, node);
            }
            else if (AcceptOp("("))
            {
                node = ParseCall(token, node);
            }
            else
            {
                return node;
            }
        }
    }

    private FilterExpr ParseFilter(Expr subject, Token nameToken)
    {
        var name = ExpectName();
        var filter = Filters.Find(name) ?? throw Error(nameToken, $"unknown filter '{name}'");
        var (args, kwargs) = AcceptOp("(") ? ParseArguments() : ([], []);
        return new FilterExpr(nameToken.Pos, subject, name, filter, args, kwargs);
    }

    private TestExpr ParseTest(Token isToken, Expr subject)
    {
        var negated = AcceptName("not");
        var nameToken = Peek;
        var name = ExpectName();
        var test = Tests.Find(name) ?? throw Error(nameToken, $"unknown test '{name}'");
        List<Expr> args = [];
        if (AcceptOp("("))
        {
            var (positional, kwargs) = ParseArguments();
            if (kwargs.Count > 0) throw Error(nameToken, "keyword arguments to tests are not supported");
            args = positional;
        }
        else if (StartsTestArgument(Peek))
        {
            args = [ParsePostfix(ParsePrimary())];
        }

        return new TestExpr(isToken.Pos, subject, name, test, args, negated);
    }

    private static bool StartsTestArgument(Token token) => token.Kind switch
    {
        TokenKind.Name => token.Value is not ("else" or "or" or "and" or "is" or "if" or "in" or "not"),
        TokenKind.String or TokenKind.Integer or TokenKind.Float => true,
        TokenKind.Operator => token.Value is "[" or "{",
        _ => false,
    };
}
