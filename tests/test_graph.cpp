#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/graph.hpp"

using namespace tock::config;

namespace {

// One dependency as text: "left => right", or "=> right" for a lone node.
std::string show(const Dependency& d) {
    return (d.left ? to_string(*d.left) + " " : std::string()) + "=> " + to_string(d.right);
}

std::vector<std::string> deps(std::string_view text) {
    std::vector<std::string> out;
    for (const Dependency& d : parse_graph(text)) out.push_back(show(d));
    return out;
}

struct Failure {
    std::string message;
    std::size_t offset = 0;
};

// The ParseError `text` must raise; fails the test if it parses.
Failure failure(std::string_view text) {
    try {
        parse_graph(text);
    } catch (const ParseError& e) {
        return {e.what(), e.offset};
    }
    FAIL_CHECK("no ParseError for: ", std::string(text));
    return {};
}

bool contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

// Equal apart from positions.
bool same(const NodeRef& a, const NodeRef& b) {
    return a.name == b.name && a.xtrigger == b.xtrigger && a.offset == b.offset &&
           a.qualifier == b.qualifier && a.optional == b.optional && a.suicide == b.suicide;
}

bool same(const Expr& a, const Expr& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == Expr::Kind::node) return same(a.node, b.node);
    if (a.children.size() != b.children.size()) return false;
    for (std::size_t k = 0; k < a.children.size(); ++k) {
        if (!same(a.children[k], b.children[k])) return false;
    }
    return true;
}

NodeRef lone(std::string_view text) {
    const auto d = parse_graph(text);
    REQUIRE(d.size() == 1);
    REQUIRE_FALSE(d[0].left);
    return d[0].right;
}

// The node on the left of "X => z".
NodeRef left_node(const std::string& x) {
    const auto d = parse_graph(x + " => z");
    REQUIRE(d.size() == 1);
    REQUIRE(d[0].left);
    REQUIRE(d[0].left->kind == Expr::Kind::node);
    return d[0].left->node;
}

}  // namespace

TEST_SUITE("graph") {
    TEST_CASE("a lone node has no prerequisites") {
        const auto d = parse_graph("foo");
        REQUIRE(d.size() == 1);
        CHECK_FALSE(d[0].left);
        CHECK(d[0].right.name == "foo");
        CHECK(d[0].right.qualifier.empty());
        CHECK(d[0].right.offset.empty());
        CHECK_FALSE(d[0].right.optional);
        CHECK_FALSE(d[0].right.xtrigger);
        CHECK(d[0].right.line == 1);
        CHECK(d[0].right.col == 1);
    }

    TEST_CASE("'&' without '=>' declares each node") {
        CHECK(deps("foo & bar") == std::vector<std::string>{"=> foo", "=> bar"});
        CHECK(deps("foo? & bar") == std::vector<std::string>{"=> foo?", "=> bar"});
        CHECK(deps("  foo  \n\n bar ") == std::vector<std::string>{"=> foo", "=> bar"});
    }

    TEST_CASE("a simple trigger") {
        const auto d = parse_graph("a => b");
        REQUIRE(d.size() == 1);
        REQUIRE(d[0].left);
        CHECK(d[0].left->kind == Expr::Kind::node);
        CHECK(d[0].left->node.name == "a");
        CHECK(d[0].left->node.col == 1);
        CHECK(d[0].right.name == "b");
        CHECK(d[0].right.col == 6);
        CHECK(deps("a=>b") == std::vector<std::string>{"a => b"});
    }

    TEST_CASE("suicide triggers: '!' on the right of '=>'") {
        auto d = parse_graph("a:fail => !b");
        REQUIRE(d.size() == 1);
        CHECK(d[0].right.name == "b");
        CHECK(d[0].right.suicide);
        CHECK(d[0].right.col == 11);  // the '!'
        CHECK(d[0].left->node.qualifier == "fail");
        CHECK_FALSE(d[0].left->node.suicide);
        CHECK(deps("a => !b & !c") == std::vector<std::string>{"a => !b", "a => !c"});
        CHECK(deps("a => b & !c") == std::vector<std::string>{"a => b", "a => !c"});
        CHECK(deps("a | b => !c") == std::vector<std::string>{"a | b => !c"});
        CHECK(deps("a[-P1]:fail? => ! FAM") == std::vector<std::string>{"a[-P1]:fail? => !FAM"});
        CHECK(deps("a => b => !c") == std::vector<std::string>{"a => b", "b => !c"});
        d = parse_graph("a => b");
        CHECK_FALSE(d[0].right.suicide);
    }

    TEST_CASE("errors: suicide triggers") {
        Failure f = failure("!a => b");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "go on the right of '=>'"));

        f = failure("x & (y | !a) => b");
        CHECK(f.offset == 9);
        CHECK(contains(f.message, "go on the right of '=>'"));

        f = failure("a => !b => c");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "middle of a chain"));

        f = failure("a => !b?");
        CHECK(f.offset == 7);
        CHECK(contains(f.message, "cannot be optional"));

        f = failure("a => !b:fail");
        CHECK(f.offset == 7);
        CHECK(contains(f.message, "takes no output"));

        f = failure("a => !b[-P1]");
        CHECK(f.offset == 7);
        CHECK(contains(f.message, "offsets are only allowed on the left"));

        f = failure("!b");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "needs a left side"));

        f = failure("a => !@x");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "cannot mark an xtrigger"));

        f = failure("a => !");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "expected a task name after '!'"));

        f = failure("@x => !b");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "an xtrigger cannot remove a task"));
    }

    TEST_CASE("names may contain letters, digits, _, -, + and %") {
        CHECK(lone("foo_bar-1+2%3").name == "foo_bar-1+2%3");
        CHECK(lone("_x").name == "_x");
        CHECK(lone("9lives").name == "9lives");
        CHECK(lone("FAMILY").name == "FAMILY");
        // '-' ends before "=>" without blanks.
        CHECK(deps("a-=>b") == std::vector<std::string>{"a- => b"});
    }

    TEST_CASE("qualifiers") {
        for (const char* q : {"succeed", "fail", "submit", "submit-fail", "start", "finish",
                              "expire", "my_output", "x-1", "_out"}) {
            CAPTURE(q);
            CHECK(left_node(std::string("foo:") + q).qualifier == q);
        }
        CHECK(left_node("foo").qualifier.empty());
    }

    TEST_CASE("qualifier aliases are normalised") {
        CHECK(left_node("foo:succeeded").qualifier == "succeed");
        CHECK(left_node("foo:failed").qualifier == "fail");
        CHECK(left_node("foo:started").qualifier == "start");
        CHECK(left_node("foo:submitted").qualifier == "submit");
        CHECK(left_node("foo:submit-failed").qualifier == "submit-fail");
        CHECK(left_node("foo:finished").qualifier == "finish");
        CHECK(left_node("foo:expired").qualifier == "expire");
    }

    TEST_CASE("family qualifiers") {
        for (const char* q : {"succeed-all", "succeed-any", "fail-all", "fail-any", "finish-all",
                              "finish-any", "start-all", "start-any", "submit-all", "submit-any",
                              "submit-fail-all", "submit-fail-any", "expire-all", "expire-any"}) {
            CAPTURE(q);
            CHECK(left_node(std::string("FAM:") + q).qualifier == q);
            // Case is a convention only.
            CHECK(left_node(std::string("fam:") + q).name == "fam");
        }
    }

    TEST_CASE("optional outputs") {
        NodeRef n = left_node("foo:fail?");
        CHECK(n.qualifier == "fail");
        CHECK(n.optional);
        n = left_node("foo?");
        CHECK(n.qualifier.empty());
        CHECK(n.optional);
        n = left_node("foo[-P1]:x?");
        CHECK(n.offset == "-P1");
        CHECK(n.qualifier == "x");
        CHECK(n.optional);
        CHECK_FALSE(left_node("foo:fail").optional);
    }

    TEST_CASE("a => b? makes b's success optional") {
        const auto d = parse_graph("a => b?");
        REQUIRE(d.size() == 1);
        CHECK(d[0].right.name == "b");
        CHECK(d[0].right.optional);
        CHECK(d[0].right.qualifier.empty());
    }

    TEST_CASE("offsets") {
        CHECK(left_node("foo[-P1]").offset == "-P1");
        CHECK(left_node("foo[-PT6H]").offset == "-PT6H");
        CHECK(left_node("foo[^]").offset == "^");
        CHECK(left_node("foo[$]").offset == "$");
        CHECK(left_node("foo[^+PT6H]").offset == "^+PT6H");
        CHECK(left_node("foo[-P1D]").offset == "-P1D");
        CHECK(left_node("foo[+P1]").offset == "+P1");
        CHECK(left_node("foo[-P1Y2M,3.5:x]").offset == "-P1Y2M,3.5:x");
        // Blanks inside the brackets, and around the parts, are dropped.
        const NodeRef n = left_node("foo [ - PT 6H ] : fail ?");
        CHECK(n.offset == "-PT6H");
        CHECK(n.qualifier == "fail");
        CHECK(n.optional);
    }

    TEST_CASE("xtriggers") {
        const auto d = parse_graph("@wall_clock => foo");
        REQUIRE(d.size() == 1);
        REQUIRE(d[0].left);
        CHECK(d[0].left->node.xtrigger);
        CHECK(d[0].left->node.name == "wall_clock");
        CHECK(d[0].left->node.col == 1);
        CHECK(to_string(*d[0].left) == "@wall_clock");

        const auto e = parse_graph("@clock & a[-P1] => foo");
        REQUIRE(e.size() == 1);
        REQUIRE(e[0].left->kind == Expr::Kind::all_of);
        CHECK(e[0].left->children[0].node.xtrigger);
        CHECK_FALSE(e[0].left->children[1].node.xtrigger);
    }

    TEST_CASE("'&' binds tighter than '|'") {
        const auto d = parse_graph("a | b & c => d");
        REQUIRE(d.size() == 1);
        const Expr& e = *d[0].left;
        REQUIRE(e.kind == Expr::Kind::any_of);
        REQUIRE(e.children.size() == 2);
        CHECK(e.children[0].node.name == "a");
        REQUIRE(e.children[1].kind == Expr::Kind::all_of);
        CHECK(e.children[1].children[0].node.name == "b");
        CHECK(e.children[1].children[1].node.name == "c");
    }

    TEST_CASE("parentheses group the left side") {
        const auto d = parse_graph("(a:fail? | b) & c[-P1] => d");
        REQUIRE(d.size() == 1);
        const Expr& e = *d[0].left;
        REQUIRE(e.kind == Expr::Kind::all_of);
        REQUIRE(e.children.size() == 2);
        const Expr& g = e.children[0];
        REQUIRE(g.kind == Expr::Kind::any_of);
        CHECK(g.children[0].node.name == "a");
        CHECK(g.children[0].node.qualifier == "fail");
        CHECK(g.children[0].node.optional);
        CHECK(g.children[0].node.col == 2);
        CHECK(g.children[1].node.name == "b");
        CHECK(e.children[1].node.name == "c");
        CHECK(e.children[1].node.offset == "-P1");
        CHECK(to_string(e) == "(a:fail? | b) & c[-P1]");
        CHECK(d[0].right.name == "d");
    }

    TEST_CASE("runs of one operator flatten; explicit groups stay") {
        auto d = parse_graph("a & b & c => d");
        CHECK(d[0].left->kind == Expr::Kind::all_of);
        CHECK(d[0].left->children.size() == 3);
        d = parse_graph("(a & b) & c => d");
        REQUIRE(d[0].left->children.size() == 2);
        CHECK(d[0].left->children[0].kind == Expr::Kind::all_of);
        CHECK(to_string(*d[0].left) == "(a & b) & c");
        d = parse_graph("((a)) => d");
        CHECK(d[0].left->kind == Expr::Kind::node);
        CHECK(to_string(*d[0].left) == "a");
        d = parse_graph("(a & b) | c => d");
        CHECK(to_string(*d[0].left) == "a & b | c");
        d = parse_graph("a | (b | c) => d");
        CHECK(to_string(*d[0].left) == "a | (b | c)");
    }

    TEST_CASE("'&' on the right: each node depends on the left") {
        CHECK(deps("a => b & c") == std::vector<std::string>{"a => b", "a => c"});
        CHECK(deps("a & b => c & d?") == std::vector<std::string>{"a & b => c", "a & b => d?"});
    }

    TEST_CASE("chains") {
        CHECK(deps("a => b => c") == std::vector<std::string>{"a => b", "b => c"});
        CHECK(deps("a => b:fail? => c") == std::vector<std::string>{"a => b", "b:fail? => c"});
        CHECK(deps("a => b? => c") == std::vector<std::string>{"a => b?", "b? => c"});
        CHECK(deps("a => b:x => c") == std::vector<std::string>{"a => b", "b:x => c"});
        CHECK(deps("a => b:x? => c") == std::vector<std::string>{"a => b", "b:x? => c"});
        CHECK(deps("a | b => c & d => e") ==
              std::vector<std::string>{"a | b => c", "a | b => d", "c & d => e"});
        CHECK(deps("a => b:fail & c => d") ==
              std::vector<std::string>{"a => b", "a => c", "b:fail & c => d"});
        CHECK(deps("a[-P1] => a => b => c => d").size() == 4);

        // The middle node keeps its position in both roles.
        const auto d = parse_graph("a => b:x => c");
        REQUIRE(d.size() == 2);
        CHECK(d[0].right.col == 6);
        CHECK(d[1].left->node.col == 6);
        CHECK_FALSE(d[0].right.optional);
    }

    TEST_CASE("comments and blank lines") {
        CHECK(deps("# heading\n\na => b  # why\n  # more\nc\n") ==
              std::vector<std::string>{"a => b", "=> c"});
        CHECK(deps("a => b#c").size() == 1);
        CHECK(parse_graph("").empty());
        CHECK(parse_graph("  \n\t\n# only a comment").empty());
        CHECK(deps("a => b\r\nc => d\r\n") == std::vector<std::string>{"a => b", "c => d"});
    }

    TEST_CASE("a line ending with an operator continues") {
        CHECK(deps("a =>\n  b") == std::vector<std::string>{"a => b"});
        CHECK(deps("a &\n b => c") == std::vector<std::string>{"a & b => c"});
        CHECK(deps("a |\n b => c") == std::vector<std::string>{"a | b => c"});
        CHECK(deps("(a |\n b) => c") == std::vector<std::string>{"a | b => c"});
        // Blank and comment lines in between do not break it.
        CHECK(deps("a => # note\n\n  # more\n b") == std::vector<std::string>{"a => b"});
    }

    TEST_CASE("a line starting with an operator continues the previous one") {
        CHECK(deps("a\n => b") == std::vector<std::string>{"a => b"});
        CHECK(deps("a\n & b => c") == std::vector<std::string>{"a & b => c"});
        CHECK(deps("a\n | b => c") == std::vector<std::string>{"a | b => c"});
        CHECK(deps("a => b\n\n# x\n  => c") == std::vector<std::string>{"a => b", "b => c"});
        CHECK(deps("foo\n& bar") == std::vector<std::string>{"=> foo", "=> bar"});
    }

    TEST_CASE("a trailing backslash continues") {
        CHECK(deps("a \\\n => b") == std::vector<std::string>{"a => b"});
        CHECK(deps("a => \\  \n b") == std::vector<std::string>{"a => b"});
        CHECK(deps("a => \\ # note\n b") == std::vector<std::string>{"a => b"});
    }

    TEST_CASE("other lines are separate statements") {
        CHECK(deps("a => b\nb => c\nd") == std::vector<std::string>{"a => b", "b => c", "=> d"});
    }

    TEST_CASE("positions count the graph's own lines") {
        const auto d = parse_graph("\n  a => b\n# c\n   c =>\n     d:x => e");
        REQUIRE(d.size() == 3);
        CHECK(d[0].left->node.line == 2);
        CHECK(d[0].left->node.col == 3);
        CHECK(d[0].right.line == 2);
        CHECK(d[0].right.col == 8);
        CHECK(d[1].left->node.line == 4);
        CHECK(d[1].left->node.col == 4);
        CHECK(d[1].right.line == 5);
        CHECK(d[1].right.col == 6);
        CHECK(d[2].left->node.line == 5);
        CHECK(d[2].right.line == 5);
        CHECK(d[2].right.col == 13);
        // After a backslash continuation the next line counts as a new line.
        const auto e = parse_graph("a => \\\n   b");
        CHECK(e[0].right.line == 2);
        CHECK(e[0].right.col == 4);
    }

    TEST_CASE("to_string renders canonical graph syntax") {
        NodeRef n;
        n.name = "foo";
        CHECK(to_string(n) == "foo");
        n.offset = "-PT6H";
        n.qualifier = "fail";
        n.optional = true;
        CHECK(to_string(n) == "foo[-PT6H]:fail?");
        NodeRef x;
        x.name = "clock";
        x.xtrigger = true;
        CHECK(to_string(x) == "@clock");

        const auto d = parse_graph("( a  |b:succeeded)&  ( c & @t ) | d => z");
        CHECK(to_string(*d[0].left) == "(a | b:succeed) & (c & @t) | d");
    }

    TEST_CASE("errors: operators out of place") {
        Failure f = failure("a => & b");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "expected a task name after '=>', found '&'"));

        f = failure("a =>");
        CHECK(f.offset == 4);
        CHECK(contains(f.message, "found the end of the graph"));

        f = failure("a =>\n\n");
        CHECK(f.offset == 6);

        f = failure("=> b");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "at the start of the line"));

        f = failure("a & => b");
        CHECK(f.offset == 4);
        CHECK(contains(f.message, "after '&'"));

        f = failure("a | | b => c");
        CHECK(f.offset == 4);

        f = failure("a && b => c");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "'&', not '&&'"));

        f = failure("a || b => c");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "'|', not '||'"));

        f = failure("a -> b");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "'=>', not '->'"));

        f = failure("a = b");
        CHECK(f.offset == 2);
        f = failure("a > b");
        CHECK(f.offset == 2);

        f = failure("a => => b");
        CHECK(f.offset == 5);
    }

    TEST_CASE("errors: names") {
        Failure f = failure("a b => c");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "cannot contain spaces"));

        f = failure("a => b c");
        CHECK(f.offset == 7);
        CHECK(contains(f.message, "cannot contain spaces"));

        f = failure("a \\\n b");
        CHECK(f.offset == 5);

        // Task parameters are part of a name here (the workflow model
        // expands them); an unclosed '<' is refused where it opens.
        CHECK(parse_graph("foo<m> => bar<m, n=2>")[0].left->node.name == "foo<m>");
        CHECK(parse_graph("foo<m> => bar<m, n=2>")[0].right.name == "bar<m,n=2>");
        f = failure("foo<m => bar");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "'<' is not closed by '>'"));

        f = failure("a => -b");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "must start with a letter, digit or '_'"));

        f = failure("a => b.c");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "unexpected '.'"));

        f = failure("caf\xc3\xa9 => b");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "byte 0xC3"));

        f = failure("a\\b");
        CHECK(f.offset == 1);
        CHECK(contains(f.message, "last character"));
    }

    TEST_CASE("errors: parentheses") {
        Failure f = failure("(a | b => c");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "unbalanced '(': add ')' before '=>'"));

        f = failure("x & ((a | b) => c");
        CHECK(f.offset == 4);

        f = failure("a | b) => c");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "unbalanced ')'"));

        f = failure("() => c");
        CHECK(f.offset == 1);
        CHECK(contains(f.message, "after '(', found ')'"));

        f = failure("(a b) => c");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "expected '&', '|' or ')'"));

        // A line break inside parentheses needs an operator or a backslash.
        f = failure("(a\n| b\n) => c");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "to break a line inside them"));

        f = failure("a => (b & c)");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "parentheses are not allowed on the right"));

        f = failure("a => b)");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "unbalanced ')'"));

        f = failure("(a & b)");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "only allowed on the left"));
    }

    TEST_CASE("nesting is bounded") {
        std::string ok = std::string(100, '(') + "a" + std::string(100, ')') + " => b";
        CHECK(deps(ok) == std::vector<std::string>{"a => b"});

        std::string deep = std::string(101, '(') + "a" + std::string(101, ')') + " => b";
        Failure f = failure(deep);
        CHECK(f.offset == 100);
        CHECK(contains(f.message, "nested parentheses"));

        // Far deeper than any stack could take by recursion.
        f = failure(std::string(200000, '(') + "a => b");
        CHECK(f.offset == 100);
    }

    TEST_CASE("errors: the right side") {
        Failure f = failure("a => b | c");
        CHECK(f.offset == 7);
        CHECK(contains(f.message, "'|' is not allowed on the right of '=>': write separate lines"));

        f = failure("a => b[-P1]");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "offsets are only allowed on the left of '=>'"));

        f = failure("a => b[-P1] => c");
        CHECK(f.offset == 6);

        f = failure("a => @x");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "xtriggers are only allowed on the left"));

        f = failure("a => b:fail");
        CHECK(f.offset == 6);
        CHECK(contains(f.message, "not allowed on the right of '=>'"));
        CHECK(contains(f.message, "b?"));

        f = failure("a => b:fail?");
        CHECK(f.offset == 6);

        f = failure("a => b => c:x");
        CHECK(f.offset == 11);

        f = failure("a => b & c | d => e");
        CHECK(f.offset == 11);
    }

    TEST_CASE("a lone qualified node declares the task and its output's optionality") {
        auto d = parse_graph("a\nfoo:fail?\nFAM:succeed-any");
        REQUIRE(d.size() == 3);
        CHECK_FALSE(d[1].left.has_value());
        CHECK(d[1].right.name == "foo");
        CHECK(d[1].right.qualifier == "fail");
        CHECK(d[1].right.optional);
        CHECK(d[2].right.name == "FAM");
        CHECK(d[2].right.qualifier == "succeed-any");
        CHECK_FALSE(d[2].right.optional);
    }

    TEST_CASE("errors: lone nodes") {
        Failure f = failure("foo | bar");
        CHECK(f.offset == 4);
        CHECK(contains(f.message, "'|' needs '=>'"));

        f = failure("foo[-P1]");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "offset needs '=>'"));

        f = failure("@x");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "left of '=>'"));

        f = failure("foo bar");
        CHECK(f.offset == 4);
        CHECK(contains(f.message, "expected '&', '=>' or the end of the line after 'foo'"));
        CHECK(contains(f.message, "cannot contain spaces"));

        f = failure("a@b => c");
        CHECK(f.offset == 1);
        CHECK(contains(f.message, "expected '=>', '&' or '|' after 'a', found '@'"));
        CHECK_FALSE(contains(f.message, "spaces"));
    }

    TEST_CASE("errors: node parts") {
        Failure f = failure("foo:fail:x => b");
        CHECK(f.offset == 8);
        CHECK(contains(f.message, "name[offset]:output?"));

        f = failure("foo:fail[-P1] => b");
        CHECK(f.offset == 8);
        f = failure("foo?:fail => b");
        CHECK(f.offset == 4);
        f = failure("foo?? => b");
        CHECK(f.offset == 4);

        f = failure("foo: => b");
        CHECK(f.offset == 5);
        CHECK(contains(f.message, "expected an output name after ':'"));

        f = failure("foo:1x => b");
        CHECK(f.offset == 4);
        CHECK(contains(f.message, "not a valid output name"));
        f = failure("foo:a+b => b");
        CHECK(f.offset == 4);

        f = failure("foo[-P1 => b");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "unclosed '['"));
        f = failure("foo[-P1\n] => b");
        CHECK(f.offset == 3);
        f = failure("foo[] => b");
        CHECK(f.offset == 3);
        CHECK(contains(f.message, "empty offset"));
        f = failure("foo[ ] => b");
        CHECK(f.offset == 3);
        f = failure("foo[-P1_] => b");
        CHECK(f.offset == 7);
        f = failure("foo[-P1]] => b");
        CHECK(f.offset == 8);
        CHECK(contains(f.message, "unmatched ']'"));
        f = failure("[-P1] => b");
        CHECK(f.offset == 0);
        CHECK(contains(f.message, "expected a task name"));

        f = failure("@ => b");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "xtrigger name after '@'"));
        f = failure("@x[-P1] => b");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "takes no offset or output"));
        f = failure("@x:fail => b");
        CHECK(f.offset == 2);
        f = failure("@x? => b");
        CHECK(f.offset == 2);
        CHECK(contains(f.message, "cannot be optional"));
    }

    TEST_CASE("error offsets count from the start of the whole text") {
        Failure f = failure("a => b\n# note\nc => d | e");
        CHECK(f.offset == 21);
        f = failure("a => b\r\n  c => d | e");
        CHECK(f.offset == 17);
    }

    TEST_CASE("mutated and random graphs raise only ParseError and round-trip") {
        std::mt19937 rng(20240611);
        auto pick = [&](std::size_t n) {
            return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
        };

        const std::vector<std::string> seeds = {
            "a => b",
            "foo:fail? => bar",
            "(a:fail? | b) & c[-P1] => d",
            "a => b:x? => c & d",
            "@wall_clock & FAM:succeed-all => post",
            "x[^+PT6H] | y[$] => z?\nz => w",
            "a &\n b\n => c # c\n\\\n",
            "foo & bar\nbaz",
            "((a | b) & (c | d:start)) | e[-P1D]:submit-failed => f => g",
        };
        const std::string alphabet = "ab_-+%@[]():?&|=> \t\n\\#^$P1T6H.,!<x";
        auto random_char = [&]() -> char {
            if (pick(8) == 0) return static_cast<char>(pick(256));
            return alphabet[pick(alphabet.size())];
        };
        auto mutate = [&](std::string s) {
            const std::size_t edits = 1 + pick(4);
            for (std::size_t k = 0; k < edits; ++k) {
                const std::size_t at = s.empty() ? 0 : pick(s.size() + 1);
                switch (pick(5)) {
                    case 0:
                        s.insert(at, 1, random_char());
                        break;
                    case 1:
                        if (at < s.size()) s.erase(at, 1);
                        break;
                    case 2:
                        if (at < s.size()) s[at] = random_char();
                        break;
                    case 3:
                        s.insert(at, seeds[pick(seeds.size())]);
                        break;
                    default:
                        if (at < s.size()) s.insert(at, s.substr(at, 1 + pick(6)));
                        break;
                }
            }
            return s;
        };

        int parsed = 0;
        int rejected = 0;
        for (int round = 0; round < 20000; ++round) {
            std::string text;
            if (round % 4 == 0) {
                const std::size_t len = pick(40);
                for (std::size_t k = 0; k < len; ++k) text += random_char();
            } else {
                text = mutate(seeds[pick(seeds.size())]);
            }
            CAPTURE(text);
            std::vector<Dependency> result;
            try {
                result = parse_graph(text);
            } catch (const ParseError& e) {
                ++rejected;
                CHECK(e.offset <= text.size());
                continue;
            } catch (...) {
                FAIL("an exception other than ParseError");
            }
            ++parsed;
            for (const Dependency& d : result) {
                // The recorded position is where the node is written.
                std::size_t line_start = 0;
                for (int l = 1; l < d.right.line; ++l) {
                    line_start = text.find('\n', line_start) + 1;
                }
                const std::size_t at = line_start + static_cast<std::size_t>(d.right.col - 1);
                REQUIRE(at < text.size());
                CHECK(text[at] == to_string(d.right)[0]);

                // A suicide target stands only on the right of '=>'.
                const auto again =
                    parse_graph((d.right.suicide ? "x => " : "") + to_string(d.right));
                REQUIRE(again.size() == 1);
                CHECK(same(again[0].right, d.right));
                if (d.left) {
                    const std::string rendered = to_string(*d.left);
                    CAPTURE(rendered);
                    const auto back = parse_graph(rendered + " => z");
                    REQUIRE(back.size() == 1);
                    CHECK(same(*back[0].left, *d.left));
                }
            }
        }
        // The mutations must exercise both outcomes.
        CHECK(parsed > 1000);
        CHECK(rejected > 1000);
    }

    TEST_CASE("a long graph parses in one pass") {
        std::string text;
        for (int k = 0; k < 20000; ++k) {
            text += fmt::format("t{} => t{}\n\n\n", k, k + 1);
        }
        text += std::string(100000, '\n');
        CHECK(parse_graph(text).size() == 20000);
    }
}
