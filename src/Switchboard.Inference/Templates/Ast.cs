namespace Switchboard.Inference.Templates;

internal abstract record Stmt(SourcePos Pos);

internal sealed record TextStmt(SourcePos Pos, string Text) : Stmt(Pos);

internal sealed record OutputStmt(SourcePos Pos, Expr Value) : Stmt(Pos);

internal sealed record IfStmt(SourcePos Pos, IReadOnlyList<(Expr Condition, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt> Else)
    : Stmt(Pos);

internal sealed record ForStmt(SourcePos Pos, Expr Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Else)
    : Stmt(Pos);

/// <summary><c>{% set target = value %}</c>; the target is a name, a tuple of names, or <c>ns.attr</c>.</summary>
internal sealed record SetStmt(SourcePos Pos, Expr Target, Expr Value) : Stmt(Pos);

/// <summary><c>{% set x | filter %}body{% endset %}</c>; <see cref="Filter"/> reads the body from <see cref="Parser.BodyVariable"/>.</summary>
internal sealed record SetBlockStmt(SourcePos Pos, Expr Target, IReadOnlyList<Stmt> Body, Expr? Filter) : Stmt(Pos);

internal sealed record MacroStmt(SourcePos Pos, string Name, IReadOnlyList<(string Name, Expr? Default)> Parameters, IReadOnlyList<Stmt> Body)
    : Stmt(Pos);

/// <summary><c>{% filter f %}body{% endfilter %}</c>; <see cref="Filter"/> reads the body from <see cref="Parser.BodyVariable"/>.</summary>
internal sealed record FilterBlockStmt(SourcePos Pos, Expr Filter, IReadOnlyList<Stmt> Body) : Stmt(Pos);

/// <summary>Statements that only group their body, such as <c>{% generation %}</c>.</summary>
internal sealed record BlockStmt(SourcePos Pos, IReadOnlyList<Stmt> Body) : Stmt(Pos);

internal sealed record BreakStmt(SourcePos Pos) : Stmt(Pos);

internal sealed record ContinueStmt(SourcePos Pos) : Stmt(Pos);

internal abstract record Expr(SourcePos Pos);

internal sealed record LiteralExpr(SourcePos Pos, object? Value) : Expr(Pos);

internal sealed record NameExpr(SourcePos Pos, string Name) : Expr(Pos);

internal sealed record ListExpr(SourcePos Pos, IReadOnlyList<Expr> Items) : Expr(Pos);

internal sealed record TupleExpr(SourcePos Pos, IReadOnlyList<Expr> Items) : Expr(Pos);

internal sealed record DictExpr(SourcePos Pos, IReadOnlyList<(Expr Key, Expr Value)> Items) : Expr(Pos);

internal sealed record AttrExpr(SourcePos Pos, Expr Target, string Name) : Expr(Pos);

internal sealed record ItemExpr(SourcePos Pos, Expr Target, Expr Key) : Expr(Pos);

internal sealed record SliceExpr(SourcePos Pos, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);

internal sealed record CallExpr(SourcePos Pos, Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs) : Expr(Pos);

internal sealed record FilterExpr(
    SourcePos Pos, Expr Subject, string Name, Filter Filter, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs)
    : Expr(Pos);

internal sealed record TestExpr(SourcePos Pos, Expr Subject, string Name, TestFunction Test, IReadOnlyList<Expr> Args, bool Negated)
    : Expr(Pos);

internal sealed record UnaryExpr(SourcePos Pos, string Op, Expr Operand) : Expr(Pos);

internal sealed record BinaryExpr(SourcePos Pos, string Op, Expr Left, Expr Right) : Expr(Pos);

/// <summary>A comparison chain such as <c>a &lt; b &lt;= c</c>; operators include <c>in</c> and <c>not in</c>.</summary>
internal sealed record CompareExpr(SourcePos Pos, Expr First, IReadOnlyList<(string Op, Expr Operand)> Rest) : Expr(Pos);

internal sealed record ConditionalExpr(SourcePos Pos, Expr Condition, Expr Then, Expr? Else) : Expr(Pos);
