// Cylc graph strings, parsed in two passes: a lexer that turns the text into
// tokens (dropping comments and backslash continuations and recording every
// token's byte offset, line and column), then a recursive-descent parser over
// one statement at a time. Statements are found by joining lines that end or
// start with an operator, the way Cylc does.
#include "config/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <utility>

namespace tock::config {

namespace {

// Parentheses are the only source of recursion; bounding them bounds the
// stack whatever the input.
constexpr int max_nesting = 100;
constexpr std::size_t none = static_cast<std::size_t>(-1);

enum class Tok {
    name,      // task, family, xtrigger or output name
    at,        // '@'
    offset,    // "[...]"; text holds the inside with blanks removed
    colon,     // ':'
    question,  // '?'
    bang,      // '!' (a suicide trigger)
    arrow,     // "=>"
    op_and,    // '&'
    op_or,     // '|'
    lparen,
    rparen,
    newline,  // end of a statement once continuations are joined
    end,
};

struct Token {
    Tok kind;
    std::size_t pos;  // byte offset in the graph text
    int line;
    int col;
    std::string text;
};

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
    return is_alpha(c) || is_digit(c) || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || c == '-' || c == '+' || c == '%';
}
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// What may appear inside [...]. The duration itself is checked later by the
// workflow model, which knows the cycling mode.
bool is_offset_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '^' || c == '$' || c == '+' || c == '-' || c == '.' ||
           c == ',' || c == ':';
}

bool is_operator(Tok k) {
    return k == Tok::arrow || k == Tok::op_and || k == Tok::op_or;
}

// A character for an error message; raw bytes are shown in hex so messages
// stay printable whatever the input.
std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return fmt::format("'{}'", c);
    return fmt::format("byte 0x{:02X}", static_cast<unsigned>(u));
}

std::string describe(const Token& t) {
    switch (t.kind) {
        case Tok::name:
            return "'" + t.text + "'";
        case Tok::at:
            return "'@'";
        case Tok::offset:
            return "'[" + t.text + "]'";
        case Tok::colon:
            return "':'";
        case Tok::question:
            return "'?'";
        case Tok::bang:
            return "'!'";
        case Tok::arrow:
            return "'=>'";
        case Tok::op_and:
            return "'&'";
        case Tok::op_or:
            return "'|'";
        case Tok::lparen:
            return "'('";
        case Tok::rparen:
            return "')'";
        case Tok::newline:
            return "the end of the line";
        case Tok::end:
            return "the end of the graph";
    }
    return "?";
}

[[noreturn]] void fail(std::size_t pos, std::string message) {
    throw ParseError(std::move(message), pos);
}

class Lexer {
  public:
    explicit Lexer(std::string_view text) : text_(text) {}

    std::vector<Token> run() {
        const std::size_t n = text_.size();
        std::size_t i = 0;
        while (i < n) {
            const char c = text_[i];
            if (is_blank(c)) {
                ++i;
            } else if (c == '#') {
                while (i < n && text_[i] != '\n') ++i;
            } else if (c == '\n') {
                push(Tok::newline, i);
                start_line(i);
                ++i;
            } else if (c == '\\') {
                i = continuation(i);
            } else if (is_name_start(c)) {
                const std::size_t start = i;
                // A name may hold task parameters: model<member-1>_post. The
                // workflow model expands them; here they are part of the name.
                while (i < n && (is_name_char(text_[i]) || text_[i] == '<')) {
                    if (text_[i] == '<') {
                        const std::size_t open = i;
                        // Up to '>', but not through an arrow, an operator or a line end.
                        while (i < n && text_[i] != '>' && text_[i] != '\n' && text_[i] != '&' &&
                               text_[i] != '|' &&
                               !(text_[i] == '=' && i + 1 < n && text_[i + 1] == '>'))
                            ++i;
                        if (i >= n || text_[i] != '>')
                            fail(open,
                                 "'<' is not closed by '>': a task parameter is written "
                                 "name<param>");
                    }
                    ++i;
                }
                std::string name(text_.substr(start, i - start));
                name.erase(std::remove(name.begin(), name.end(), ' '), name.end());
                push(Tok::name, start, std::move(name));
            } else if (c == '[') {
                i = offset(i);
            } else if (c == '=' && i + 1 < n && text_[i + 1] == '>') {
                push(Tok::arrow, i);
                i += 2;
            } else if ((c == '&' || c == '|') && i + 1 < n && text_[i + 1] == c) {
                fail(i, fmt::format("the {} operator is '{}', not '{}{}'", c == '&' ? "AND" : "OR",
                                    c, c, c));
            } else if (const Tok k = single(c); k != Tok::end) {
                push(k, i);
                ++i;
            } else {
                bad_char(i);
            }
        }
        push(Tok::end, n);
        return std::move(out_);
    }

  private:
    static Tok single(char c) {
        switch (c) {
            case '@':
                return Tok::at;
            case ':':
                return Tok::colon;
            case '?':
                return Tok::question;
            case '!':
                return Tok::bang;
            case '&':
                return Tok::op_and;
            case '|':
                return Tok::op_or;
            case '(':
                return Tok::lparen;
            case ')':
                return Tok::rparen;
            default:
                return Tok::end;
        }
    }

    void push(Tok kind, std::size_t pos, std::string text = {}) {
        out_.push_back(
            Token{kind, pos, line_, static_cast<int>(pos - line_start_ + 1), std::move(text)});
    }

    void start_line(std::size_t newline_pos) {
        ++line_;
        line_start_ = newline_pos + 1;
    }

    // A backslash joins the next line onto this one. Only blanks or a comment
    // may follow it, as in the workflow file itself.
    std::size_t continuation(std::size_t i) {
        const std::size_t n = text_.size();
        std::size_t j = i + 1;
        while (j < n && is_blank(text_[j])) ++j;
        if (j < n && text_[j] == '#') {
            while (j < n && text_[j] != '\n') ++j;
        }
        if (j < n && text_[j] != '\n') {
            fail(i,
                 "'\\' continues a line only as its last character: "
                 "move what follows it onto the next line, or remove it");
        }
        if (j < n) {
            start_line(j);
            ++j;
        }
        return j;
    }

    std::size_t offset(std::size_t open) {
        const std::size_t n = text_.size();
        std::string body;
        std::size_t i = open + 1;
        for (;; ++i) {
            if (i >= n || text_[i] == '\n') {
                fail(open, "unclosed '[': add ']' after the offset, e.g. foo[-P1]");
            }
            const char c = text_[i];
            if (c == ']') break;
            if (is_blank(c)) continue;
            if (!is_offset_char(c)) {
                // Without a ']' on the line, the missing bracket is the likelier mistake.
                const std::size_t eol = std::min(text_.find('\n', i), n);
                if (text_.substr(i, eol - i).find(']') == std::string_view::npos) {
                    fail(open, "unclosed '[': add ']' after the offset, e.g. foo[-P1]");
                }
                fail(i, fmt::format("{} is not allowed in an offset: write a duration such "
                                    "as [-P1D] or [-PT6H], or [^] or [$]",
                                    describe_char(c)));
            }
            body += c;
        }
        if (body.empty()) {
            fail(open, "empty offset '[]': write one such as [-P1] or remove the brackets");
        }
        push(Tok::offset, open, std::move(body));
        return i + 1;
    }

    [[noreturn]] void bad_char(std::size_t i) {
        const char c = text_[i];
        const char next = i + 1 < text_.size() ? text_[i + 1] : '\0';
        switch (c) {
            case '-':
                if (next == '>') fail(i, "the trigger arrow is '=>', not '->'");
                [[fallthrough]];
            case '+':
            case '%':
                fail(i, fmt::format("a name must start with a letter, digit or '_', not '{}'", c));
            case '=':
            case '>':
                fail(i, fmt::format("stray '{}': the trigger arrow is '=>'", c));
            case '<':
                fail(i,
                     "parameterised names such as foo<m> are not supported: "
                     "write each task out by name");
            case ']':
                fail(i, "unmatched ']': remove it, or add '[' to start the offset");
            default:
                fail(i, fmt::format("unexpected {} in the graph: names may contain only "
                                    "letters, digits, '_', '-', '+' and '%'",
                                    describe_char(c)));
        }
    }

    std::string_view text_;
    std::vector<Token> out_;
    int line_ = 1;
    std::size_t line_start_ = 0;
};

// Drop the newlines that do not end a statement: blank and comment-only
// lines, and line breaks next to an operator ("a =>" / "=> b").
std::vector<Token> join_lines(std::vector<Token> toks) {
    // next_real[k]: index of the first token at or after k that is not a newline.
    std::vector<std::size_t> next_real(toks.size());
    for (std::size_t k = toks.size(); k-- > 0;) {
        const bool nl = toks[k].kind == Tok::newline && k + 1 < toks.size();
        next_real[k] = nl ? next_real[k + 1] : k;
    }
    std::vector<Token> out;
    out.reserve(toks.size());
    for (std::size_t k = 0; k < toks.size(); ++k) {
        if (toks[k].kind == Tok::newline) {
            if (out.empty() || out.back().kind == Tok::newline) continue;
            if (is_operator(out.back().kind)) continue;
            if (is_operator(toks[next_real[k]].kind)) continue;
        }
        out.push_back(std::move(toks[k]));
    }
    return out;
}

// A node with the positions of its parts, so that a part that is not
// allowed where the node stands can be pointed at.
struct Placed {
    NodeRef node;
    std::size_t offset_pos = none;
    std::size_t qualifier_pos = none;
    std::size_t optional_pos = none;
    std::size_t bang_pos = none;  // the '!' of a suicide trigger
    std::size_t xtrigger_pos = none;
};

std::string normalise_qualifier(const std::string& q) {
    static const std::pair<const char*, const char*> aliases[] = {
        {"succeeded", "succeed"},
        {"failed", "fail"},
        {"started", "start"},
        {"submitted", "submit"},
        {"submit-failed", "submit-fail"},
        {"finished", "finish"},
        {"expired", "expire"},
    };
    for (const auto& [from, to] : aliases) {
        if (q == from) return to;
    }
    return q;
}

Expr node_expr(NodeRef n) {
    Expr e;
    e.node = std::move(n);
    return e;
}

class Parser {
  public:
    explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

    std::vector<Dependency> run() {
        while (peek().kind != Tok::end) {
            if (peek().kind == Tok::newline) {
                ++i_;
                continue;
            }
            statement();
        }
        return std::move(deps_);
    }

  private:
    const Token& peek() const { return toks_[i_]; }
    Tok kind() const { return toks_[i_].kind; }

    // Only called on tokens inside a statement, so the end sentinel is never passed.
    const Token& take() { return toks_[i_++]; }

    bool at_statement_end() const { return kind() == Tok::newline || kind() == Tok::end; }

    void statement() {
        stmt_start_ = i_;
        bool has_arrow = false;
        for (std::size_t k = i_; toks_[k].kind != Tok::newline && toks_[k].kind != Tok::end; ++k) {
            if (toks_[k].kind == Tok::arrow) {
                has_arrow = true;
                break;
            }
        }
        if (!has_arrow) {
            declarations();
            return;
        }

        left_xtrigger_ = none;
        Expr left = parse_or(0);
        if (kind() != Tok::arrow) after_left();
        for (;;) {
            take();  // "=>"
            std::vector<Placed> seg = right_segment();
            const bool middle = kind() == Tok::arrow;
            for (const Placed& p : seg) check_right(p, middle);
            for (const Placed& p : seg) {
                if (p.bang_pos != none && left_xtrigger_ != none) {
                    fail(left_xtrigger_,
                         fmt::format("an xtrigger cannot remove a task: a suicide trigger "
                                     "('=> !{}') takes task outputs on its left only",
                                     p.node.name));
                }
            }
            left_xtrigger_ = none;
            for (const Placed& p : seg) {
                NodeRef r = p.node;
                // In a chain the qualifier says which output of this node the
                // next step waits for; as a downstream node it is just the task.
                if (!r.qualifier.empty()) {
                    r.qualifier.clear();
                    r.optional = false;
                }
                deps_.push_back(Dependency{left, std::move(r)});
            }
            if (!middle) break;
            if (seg.size() == 1) {
                left = node_expr(std::move(seg[0].node));
            } else {
                left = Expr{};
                left.kind = Expr::Kind::all_of;
                for (Placed& p : seg) left.children.push_back(node_expr(std::move(p.node)));
            }
        }
    }

    // A statement with no "=>": tasks that exist on this recurrence with no
    // prerequisites.
    void declarations() {
        for (;;) {
            if (kind() == Tok::lparen) {
                fail(peek().pos,
                     "parentheses are only allowed on the left of '=>' (to break "
                     "a line inside them, end it with '&', '|' or '\\')");
            }
            if (kind() == Tok::at) {
                fail(peek().pos, "an xtrigger must be on the left of '=>', e.g. '@clock => foo'");
            }
            Placed p = node();
            if (p.bang_pos != none) {
                fail(p.bang_pos,
                     fmt::format("'!{}' needs a left side: a suicide trigger removes {} when "
                                 "what is on its left is met, e.g. 'foo:fail => !{}'",
                                 p.node.name, p.node.name, p.node.name));
            }
            if (p.offset_pos != none) {
                fail(p.offset_pos,
                     fmt::format("an offset needs '=>': write e.g. '{}[{}] => bar', or just "
                                 "'{}' to declare the task",
                                 p.node.name, p.node.offset, p.node.name));
            }
            // A qualifier alone ("foo:fail?", "FAM:succeed-any") declares the
            // task (or the family's tasks) and the optionality of that output,
            // as in Cylc; it is kept on the node for the workflow model.
            deps_.push_back(Dependency{std::nullopt, std::move(p.node)});
            if (kind() == Tok::op_and) {
                take();
                continue;
            }
            if (at_statement_end()) return;
            if (kind() == Tok::op_or) {
                fail(peek().pos,
                     "'|' needs '=>': alternatives only make sense as a trigger, "
                     "e.g. 'a | b => c'; use '&' to declare several tasks");
            }
            if (kind() == Tok::rparen) unbalanced_rparen();
            expected("'&', '=>' or the end of the line");
        }
    }

    Expr parse_or(int depth) {
        Expr first = parse_and(depth);
        if (kind() != Tok::op_or) return first;
        Expr e;
        e.kind = Expr::Kind::any_of;
        e.children.push_back(std::move(first));
        while (kind() == Tok::op_or) {
            take();
            e.children.push_back(parse_and(depth));
        }
        return e;
    }

    Expr parse_and(int depth) {
        Expr first = parse_primary(depth);
        if (kind() != Tok::op_and) return first;
        Expr e;
        e.kind = Expr::Kind::all_of;
        e.children.push_back(std::move(first));
        while (kind() == Tok::op_and) {
            take();
            e.children.push_back(parse_primary(depth));
        }
        return e;
    }

    Expr parse_primary(int depth) {
        if (kind() != Tok::lparen) {
            Placed p = node();
            if (p.bang_pos != none) on_left(p);
            if (p.node.xtrigger && left_xtrigger_ == none) left_xtrigger_ = p.xtrigger_pos;
            return node_expr(std::move(p.node));
        }
        if (depth >= max_nesting) {
            fail(peek().pos, fmt::format("more than {} nested parentheses: simplify the "
                                         "expression",
                                         max_nesting));
        }
        const std::size_t open = take().pos;
        Expr e = parse_or(depth + 1);
        if (kind() == Tok::rparen) {
            take();
            return e;
        }
        if (kind() == Tok::arrow || at_statement_end()) {
            fail(open, fmt::format("unbalanced '(': add ')' before {}", describe(peek())));
        }
        expected("'&', '|' or ')'");
    }

    // The left side stopped at something other than "=>".
    [[noreturn]] void after_left() {
        if (kind() == Tok::rparen) unbalanced_rparen();
        expected("'=>', '&' or '|'");
    }

    // Nodes on the right of "=>": plain names joined by '&'.
    std::vector<Placed> right_segment() {
        std::vector<Placed> seg;
        for (;;) {
            if (kind() == Tok::lparen) {
                fail(peek().pos,
                     "parentheses are not allowed on the right of '=>': "
                     "write the tasks joined by '&' (a => b & c)");
            }
            if (kind() == Tok::at) {
                fail(peek().pos,
                     "xtriggers are only allowed on the left of '=>', "
                     "e.g. '@clock => foo'");
            }
            seg.push_back(node());
            if (kind() != Tok::op_and) break;
            take();
        }
        if (kind() == Tok::arrow || at_statement_end()) return seg;
        if (kind() == Tok::op_or) {
            fail(peek().pos,
                 "'|' is not allowed on the right of '=>': write separate lines "
                 "('a => b' and 'a => c'), or use '&' if both depend on the left");
        }
        if (kind() == Tok::rparen) unbalanced_rparen();
        expected("'=>', '&' or the end of the line");
    }

    // A suicide marker on the left of "=>" (also in the middle of a chain,
    // whose node is the left of the next step).
    [[noreturn]] static void on_left(const Placed& p) {
        fail(p.bang_pos,
             fmt::format("suicide markers ('!') go on the right of '=>': write 'foo => !{}' "
                         "to remove {} when foo succeeds; a removed task triggers nothing, "
                         "so '!{}' cannot be on the left or in the middle of a chain",
                         p.node.name, p.node.name, p.node.name));
    }

    static void check_right(const Placed& p, bool middle) {
        if (p.bang_pos != none) {
            if (middle) on_left(p);
            if (p.offset_pos == none && p.qualifier_pos != none) {
                fail(p.qualifier_pos,
                     fmt::format("'!{}:{}': a suicide trigger removes the task whatever its "
                                 "outputs, so it takes no output: write '!{}'",
                                 p.node.name, p.node.qualifier, p.node.name));
            }
            if (p.offset_pos == none && p.optional_pos != none) {
                fail(p.optional_pos,
                     fmt::format("'!{}?': a suicide trigger says nothing about {}'s outputs, "
                                 "so it cannot be optional: remove the '?'",
                                 p.node.name, p.node.name));
            }
        }
        if (p.offset_pos != none) {
            fail(p.offset_pos,
                 fmt::format("offsets are only allowed on the left of '=>': a task cannot "
                             "be made to run at another cycle; put the offset on the "
                             "upstream side instead (e.g. 'a[-P1] => {}')",
                             p.node.name));
        }
        if (!middle && p.qualifier_pos != none) {
            fail(p.qualifier_pos,
                 fmt::format("output ':{}' is not allowed on the right of '=>': the task on "
                             "the right runs when the left side is met; use '{}?' to make "
                             "its success optional, or continue the chain "
                             "('... => {}:{} => next')",
                             p.node.qualifier, p.node.name, p.node.name, p.node.qualifier));
        }
    }

    // name[offset]:qualifier? or @xtrigger
    Placed node() {
        Placed p;
        const Token& first = peek();
        p.node.line = first.line;
        p.node.col = first.col;
        if (first.kind == Tok::bang) {
            p.bang_pos = take().pos;
            p.node.suicide = true;
            if (kind() == Tok::at) {
                fail(peek().pos, "a suicide trigger removes a task: '!' cannot mark an xtrigger");
            }
            if (kind() != Tok::name) {
                fail(peek().pos,
                     fmt::format("expected a task name after '!', found {}", describe(peek())));
            }
        } else if (first.kind == Tok::at) {
            p.xtrigger_pos = take().pos;
            p.node.xtrigger = true;
            if (kind() != Tok::name) {
                fail(peek().pos, fmt::format("expected an xtrigger name after '@', found {}",
                                             describe(peek())));
            }
        } else if (first.kind != Tok::name) {
            expected_node();
        }
        p.node.name = take().text;
        if (kind() == Tok::offset) {
            p.offset_pos = peek().pos;
            p.node.offset = take().text;
        }
        if (kind() == Tok::colon) {
            p.qualifier_pos = take().pos;
            if (kind() != Tok::name) {
                fail(peek().pos, fmt::format("expected an output name after ':' (e.g. foo:fail), "
                                             "found {}",
                                             describe(peek())));
            }
            const Token& q = take();
            check_output_name(q);
            p.node.qualifier = normalise_qualifier(q.text);
        }
        if (kind() == Tok::question) {
            p.optional_pos = take().pos;
            p.node.optional = true;
        }
        if (kind() == Tok::offset || kind() == Tok::colon || kind() == Tok::question) {
            fail(peek().pos, fmt::format("misplaced {}: the parts of a node go in the order "
                                         "name[offset]:output? (e.g. foo[-P1]:fail?)",
                                         describe(peek())));
        }
        if (p.node.xtrigger) {
            const std::size_t extra = p.offset_pos != none ? p.offset_pos : p.qualifier_pos;
            if (extra != none) {
                fail(extra, fmt::format("xtrigger '@{}' takes no offset or output: write "
                                        "'@{}' alone",
                                        p.node.name, p.node.name));
            }
            if (p.node.optional) {
                fail(toks_[i_ - 1].pos, fmt::format("xtrigger '@{}' cannot be optional: remove "
                                                    "the '?'",
                                                    p.node.name));
            }
        }
        return p;
    }

    static void check_output_name(const Token& q) {
        bool ok = is_alpha(q.text[0]) || q.text[0] == '_';
        for (char c : q.text) ok = ok && (is_name_start(c) || c == '-');
        if (!ok) {
            fail(q.pos, fmt::format("'{}' is not a valid output name: outputs start with a "
                                    "letter or '_' and contain only letters, digits, '_' and '-'",
                                    q.text));
        }
    }

    [[noreturn]] void expected_node() {
        if (i_ == stmt_start_) {
            fail(peek().pos, fmt::format("expected a task name at the start of the line, "
                                         "found {}",
                                         describe(peek())));
        }
        fail(peek().pos, fmt::format("expected a task name after {}, found {}",
                                     describe(toks_[i_ - 1]), describe(peek())));
    }

    // Something other than an operator after a complete node or group. Two
    // names in a row are usually one name with a blank in it.
    [[noreturn]] void expected(std::string_view what) {
        const char* hint = kind() == Tok::name ? " (names cannot contain spaces)" : "";
        fail(peek().pos, fmt::format("expected {} after {}, found {}{}", what,
                                     describe(toks_[i_ - 1]), describe(peek()), hint));
    }

    [[noreturn]] void unbalanced_rparen() {
        fail(peek().pos, "unbalanced ')': remove it or add a matching '('");
    }

    std::vector<Token> toks_;
    std::size_t i_ = 0;
    std::size_t stmt_start_ = 0;
    std::size_t left_xtrigger_ = none;  // the first xtrigger on the statement's left
    std::vector<Dependency> deps_;
};

bool needs_parens(const Expr& child, Expr::Kind parent) {
    if (child.kind == Expr::Kind::node || child.children.size() == 1) return false;
    // '&' binds tighter than '|', so "a & b | c" needs none; everything else
    // keeps its grouping so that parsing the text gives the same tree back.
    return !(child.kind == Expr::Kind::all_of && parent == Expr::Kind::any_of);
}

}  // namespace

std::vector<Dependency> parse_graph(std::string_view text) {
    return Parser(join_lines(Lexer(text).run())).run();
}

std::string to_string(const NodeRef& n) {
    std::string s;
    if (n.xtrigger) s += '@';
    if (n.suicide) s += '!';
    s += n.name;
    if (!n.offset.empty()) s += "[" + n.offset + "]";
    if (!n.qualifier.empty()) s += ":" + n.qualifier;
    if (n.optional) s += '?';
    return s;
}

std::string to_string(const Expr& e) {
    if (e.kind == Expr::Kind::node) return to_string(e.node);
    const char* sep = e.kind == Expr::Kind::all_of ? " & " : " | ";
    std::string s;
    for (std::size_t k = 0; k < e.children.size(); ++k) {
        if (k > 0) s += sep;
        const Expr& c = e.children[k];
        if (needs_parens(c, e.kind)) {
            // Appended piece by piece: gcc 12 at -O3 reports a false
            // -Wrestrict overlap in '"(" + std::string&&'.
            s += '(';
            s += to_string(c);
            s += ')';
        } else {
            s += to_string(c);
        }
    }
    return s;
}

void for_each_node(const Expr& e, const std::function<void(const NodeRef&)>& f) {
    if (e.kind == Expr::Kind::node) {
        f(e.node);
        return;
    }
    for (const auto& c : e.children) for_each_node(c, f);
}

namespace {
const std::map<std::string, std::string, std::less<>>& qualifier_outputs() {
    static const std::map<std::string, std::string, std::less<>> outputs = {
        {"", "succeeded"},
        {"succeed", "succeeded"},
        {"fail", "failed"},
        {"submit", "submitted"},
        {"submit-fail", "submit-failed"},
        {"start", "started"},
        {"finish", "finished"},
        {"expire", "expired"}};
    return outputs;
}
}  // namespace

std::string output_of(const NodeRef& n, bool family) {
    std::string_view q = n.qualifier;
    if (family) q = q.substr(0, q.rfind('-'));
    auto it = qualifier_outputs().find(q);
    return it != qualifier_outputs().end() ? it->second : std::string(q);
}

const std::vector<std::string>& builtin_qualifiers() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& [q, out] : qualifier_outputs()) {
            if (!q.empty()) v.push_back(q);
        }
        return v;
    }();
    return names;
}

}  // namespace tock::config
