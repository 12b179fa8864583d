using Switchboard.Inference.Templates;

namespace Switchboard.Inference.Tests.Templates;

/// <summary>The Jinja2 behaviours prompts depend on, with expectations from Jinja2 as transformers configures it.</summary>
public sealed class TemplateSemanticsTests
{
    private static string Render(string template, IReadOnlyDictionary<string, object?>? extra = null, IReadOnlyList<ChatMessage>? messages = null) =>
        ChatTemplate.Parse(template).Render(messages ?? [], false, "<s>", "</s>", extra);

    private static Dictionary<string, object?> Vars(params (string Key, object? Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Trim_blocks_removes_the_newline_after_a_block_tag_and_lstrip_blocks_the_indent_before_it()
    {
        const string template = "<ul>\n    {% for x in [1, 2] %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>";

        Assert.Equal("<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>", Render(template));
    }

    [Fact]
    public void Lstrip_blocks_leaves_text_before_a_tag_on_the_same_line()
    {
        Assert.Equal("a  b", Render("a  {% if true %}b{% endif %}"));
    }

    [Fact]
    public void Expression_tags_are_not_trimmed()
    {
        Assert.Equal("  1\n2", Render("  {{ 1 }}\n{{ 2 }}"));
    }

    [Fact]
    public void Dash_strips_all_whitespace_on_its_side()
    {
        Assert.Equal("a|b|c", Render("a  \n {{- '|' -}} \n\n b {%- if true -%}  |  {%- endif -%}\n c"));
    }

    [Fact]
    public void Plus_disables_lstrip_and_comments_are_trimmed_like_blocks()
    {
        Assert.Equal("  x\ny", Render("  {%+ if true %}x\n{% endif %}\n  {# note #}\ny"));
    }

    [Fact]
    public void Line_endings_are_normalised_and_one_final_newline_dropped()
    {
        Assert.Equal("a\nb\nc", Render("a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc\r\n"));
        Assert.Equal("x\n", Render("x\n\n"));
    }

    [Fact]
    public void Raw_blocks_are_emitted_verbatim()
    {
        Assert.Equal("{{ not evaluated }}", Render("{% raw %}{{ not evaluated }}{% endraw %}"));
    }

    [Fact]
    public void Loop_variables()
    {
        const string template = "{% for x in 'abc' %}{{ loop.index }}|{{ loop.index0 }}|{{ loop.revindex }}|{{ loop.revindex0 }}|{{ loop.length }}"
            + "|{{ loop.first }}|{{ loop.last }}|{{ loop.previtem }}|{{ loop.nextitem }};{% endfor %}";

        Assert.Equal("1|0|3|2|3|True|False||b;2|1|2|1|3|False|False|a|c;3|2|1|0|3|False|True|b|;", Render(template));
    }

    [Fact]
    public void For_with_filter_else_break_continue_and_unpacking()
    {
        Assert.Equal("2:b,3:c,", Render("{% for k, v in {'a': 1, 'b': 2, 'c': 3, 'd': 4}.items() if v > 1 %}{% if v == 4 %}{% break %}{% endif %}{{ v }}:{{ k }},{% endfor %}"));
        Assert.Equal("1,3,", Render("{% for x in range(4) %}{% if x is even %}{% continue %}{% endif %}{{ x }},{% endfor %}"));
        Assert.Equal("empty", Render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        Assert.Equal("1 of 2,2 of 2,", Render("{% for x in [0, 1, 2, 3] if x is odd %}{{ loop.index }} of {{ loop.length }},{% endfor %}"));
    }

    [Fact]
    public void Set_inside_a_loop_does_not_leak_but_namespace_attributes_do()
    {
        const string template = "{% set count = 0 %}{% set ns = namespace(count=0, seen=[]) %}"
            + "{% for m in messages %}{% set count = count + 1 %}{% set ns.count = ns.count + 1 %}{% set _ = ns.seen.append(m.role) %}{% endfor %}"
            + "{{ count }} {{ ns.count }} {{ ns.seen | join(',') }}";

        Assert.Equal("0 2 user,assistant", Render(template, messages: [new("user", "a"), new("assistant", "b")]));
    }

    [Fact]
    public void Set_inside_if_is_visible_afterwards_and_block_set_captures_output()
    {
        Assert.Equal("yes", Render("{% if true %}{% set x = 'yes' %}{% endif %}{{ x }}"));
        Assert.Equal("[A-1]", Render("{% set x | upper %}a-{{ 1 }}{% endset %}[{{ x }}]"));
    }

    [Fact]
    public void Slicing_and_negative_indices()
    {
        Assert.Equal("[3, 2, 1] cba [2, 3] 3 ab", Render("{{ [1, 2, 3][::-1] }} {{ 'abc'[::-1] }} {{ [1, 2, 3][1:] }} {{ [1, 2, 3][-1] }} {{ 'abc'[:-1] }}"));
        Assert.Equal("[1, 3]", Render("{{ [1, 2, 3, 4][::2] }}"));
    }

    [Fact]
    public void Undefined_values()
    {
        Assert.Equal("[] False True False True", Render("[{{ nope }}] {{ nope is defined }} {{ nope is undefined }} {{ messages[5] is defined }} {{ none is none }}"));
        Assert.Equal("fallback x", Render("{{ nope | default('fallback') }} {{ '' | default('x', true) }}"));
        Assert.Equal("[]", Render("[{% for x in nope %}{{ x }}{% endfor %}]"));
        Assert.Equal("missing", Render("{% if messages[0].tool_calls %}has{% else %}missing{% endif %}", messages: [new("user", "a")]));
    }

    [Fact]
    public void Calling_a_method_that_does_not_exist_is_an_error()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("{{ 'abc'.nosuch() }}"));
        Assert.Contains("nosuch", error.Message, StringComparison.Ordinal);
        Assert.Throws<ChatTemplateException>(() => Render("{{ nope.attr }}"));
        Assert.Throws<ChatTemplateException>(() => Render("{{ 'a' + 1 }}"));
    }

    [Fact]
    public void Tojson_matches_python_json_dumps()
    {
        var tool = new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new List<object?> { 1L, 2L }, ["c"] = "héllo \"q\"\n", ["d"] = null, ["e"] = true, ["f"] = 1.5 };

        Assert.Equal("{\"a\": 1, \"b\": [1, 2], \"c\": \"héllo \\\"q\\\"\\n\", \"d\": null, \"e\": true, \"f\": 1.5}", Render("{{ t | tojson }}", Vars(("t", tool))));
        Assert.Equal("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}", Render("{{ {'a': 1, 'b': [1, 2]} | tojson(indent=2) }}"));
        Assert.Equal("{}[]\"\\u00e9\"", Render("{{ {} | tojson }}{{ [] | tojson }}{{ 'é' | tojson(ensure_ascii=true) }}"));
        Assert.Equal("{\"a\": 1, \"b\": 2}", Render("{{ {'b': 2, 'a': 1} | tojson(sort_keys=true) }}"));
    }

    [Fact]
    public void Integers_stay_integers_and_floats_render_like_python()
    {
        Assert.Equal("2 1.0 0.5 2 -1 1.0 8 1e-05 3.0 7 1", Render("{{ 1 + 1 }} {{ 1.0 }} {{ 1 / 2 }} {{ 5 // 2 }} {{ -7 // 5 + 1 }} {{ 2 / 2 }} {{ 2 ** 3 }} {{ 0.00001 }} {{ 1.5 * 2 }} {{ '7' | int }} {{ 7 % 3 }}"));
        Assert.Equal("1", Render("{% for x in 'a' %}{{ loop.index }}{% endfor %}"));
    }

    [Fact]
    public void Python_truthiness()
    {
        Assert.Equal("FFFFFFTT", Render("{% for v in ['', [], {}, 0, 0.0, none, 'x', [0]] %}{{ 'T' if v else 'F' }}{% endfor %}"));
    }

    [Fact]
    public void Operators_and_precedence()
    {
        Assert.Equal("7 True True ab1 True False x", Render("{{ 1 + 2 * 3 }} {{ 'a' in 'cat' }} {{ 3 not in [1, 2] }} {{ 'a' ~ 'b' ~ 1 }} {{ not false and 1 < 2 < 3 }} {{ 1 == 2 or none is not none }} {{ 'x' if 1 else 'y' }}"));
        Assert.Equal("[]", Render("[{{ 'x' if false }}]"));
        Assert.Equal("3", Render("{{ -3 | abs }}"));
    }

    [Fact]
    public void String_methods()
    {
        Assert.Equal("a b|a b  |  a b|b|['a', 'b,c']|True|True|xbc|1|2|Hello World|ABC",
            Render("{{ '  a b  '.strip() }}|{{ '  a b  '.lstrip() }}|{{ '  a b  '.rstrip() }}|{{ 'a</think>b'.split('</think>')[-1] }}|{{ 'a,b,c'.split(',', 1) }}"
                + "|{{ 'abc'.startswith(('x', 'a')) }}|{{ 'abc'.endswith('c') }}|{{ 'abc'.replace('a', 'x') }}|{{ 'abc'.find('b') }}|{{ 'aXa'.count('a') }}"
                + "|{{ 'hello world'.title() }}|{{ 'abc'.upper() }}"));
        Assert.Equal("x-y Hi 1", Render("{{ '-'.join(['x', 'y']) }} {{ '{} {}'.format('Hi', 1) }}"));
    }

    [Fact]
    public void Dict_methods_and_filters()
    {
        Assert.Equal("a=1;b=2;|['a', 'b']|[1, 2]|1|dflt|True",
            Render("{% set d = {'a': 1, 'b': 2} %}{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.get('a') }}|{{ d.get('z', 'dflt') }}|{{ 'a' in d }}"));
    }

    [Fact]
    public void List_filters()
    {
        var messages = new ChatMessage[] { new("system", "s"), new("user", "u1"), new("assistant", "a"), new("user", "u2") };

        Assert.Equal("u1,u2|s|system|u2|4|assistant,system,user|a,c|3",
            Render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}"
                + "|{{ (messages | rejectattr('role', 'ne', 'system') | first).content }}"
                + "|{{ (messages | first).role }}|{{ (messages | last)['content'] }}|{{ messages | length }}"
                + "|{{ messages | map(attribute='role') | unique | sort | join(',') }}"
                + "|{{ ['c', 'a'] | sort | join(',') }}|{{ [1, 2, 3] | max }}", messages: messages));
        Assert.Equal("3,2,1|  a\n  b|Abc def|hello|x", Render("{{ [1, 2, 3] | reverse | join(',') }}|{{ 'a\nb' | indent(2, true) }}|{{ 'abc DEF' | capitalize }}|{{ '  hello ' | trim }}|{{ 'a' | replace('a', 'x') }}"));
    }

    [Fact]
    public void Macros_with_default_arguments()
    {
        Assert.Equal("<a:1><b:2>", Render("{% macro tag(name, value=1) %}<{{ name }}:{{ value }}>{% endmacro %}{{ tag('a') }}{{ tag('b', value=2) }}"));
    }

    [Fact]
    public void Generation_blocks_render_their_body()
    {
        Assert.Equal("abc", Render("a{% generation %}b{% endgeneration %}c"));
    }

    [Fact]
    public void Raise_exception_carries_the_templates_message()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("{% if true %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}"));

        Assert.Equal("Only user and assistant roles are supported!", error.Message);
    }

    [Theory]
    [InlineData("line one\n{% include 'x.jinja' %}", 2, 4, "include")]
    [InlineData("{{ messages | nosuchfilter }}", 1, 15, "nosuchfilter")]
    [InlineData("{% if x is nosuchtest %}{% endif %}", 1, 12, "nosuchtest")]
    [InlineData("\n\n  {% for x in y %}", 3, 19, "endfor")]
    [InlineData("{{ 'unterminated }}", 1, 4, "unterminated")]
    [InlineData("{% frobnicate %}", 1, 4, "frobnicate")]
    [InlineData("{% break %}", 1, 4, "loop")]
    public void Unsupported_or_malformed_templates_fail_at_parse_with_a_position(string template, int line, int column, string mentioned)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template));

        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.StartsWith($"{line}:{column}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_errors_name_the_position()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("ok\n  {{ 1 + 'a' }}"));

        Assert.StartsWith("2:3: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_values_are_converted_and_not_mutated()
    {
        var tools = new List<object?> { new Dictionary<string, object?> { ["name"] = "f" } };

        Assert.Equal("f 1 True", Render("{% set _ = tools.append(1) %}{{ tools[0].name }} {{ n }} {{ flag }}", Vars(("tools", tools), ("n", 1), ("flag", true))));
        Assert.Single(tools);
    }

    [Fact]
    public void Null_content_is_none()
    {
        Assert.Equal("True None", Render("{{ messages[0].content is none }} {{ messages[0]['content'] }}", messages: [new("assistant", null)]));
    }
}
