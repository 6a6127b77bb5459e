// The graph syntax of Cylc, parsed: "a => b & c", qualifiers, offsets,
// optional outputs, xtriggers, family triggers, chains, comments and line
// continuation. Parsing only: names are not resolved here (the workflow model
// checks them against runtime and xtriggers).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.hpp"

namespace tock::config {

// One node reference, left or right of "=>": foo, foo[-P1], foo:fail?,
// FAM:succeed-all, @wall_clock, foo[^], foo[$], foo[^+PT6H].
struct NodeRef {
    std::string name;       // task or family name; xtrigger name without '@'
    bool xtrigger = false;  // "@name"
    std::string offset;     // text inside [...] with spaces removed: "-P1", "-PT6H", "^", "$",
                            // "^+PT6H"; "" = none
    std::string qualifier;  // text after ':' ("" = none = succeeded): fail, succeed, submit,
                            // submit-fail, start, finish, expire, succeed-all, fail-any, ...,
                            // or a custom output name. Aliases are normalised: failed -> fail,
                            // succeeded -> succeed, started -> start, submitted -> submit,
                            // submit-failed -> submit-fail, finished -> finish, expired -> expire
    bool optional = false;  // trailing '?'
    bool suicide = false;   // leading '!' (right of "=>" only): a suicide trigger, which
                            // removes the task instead of running it
    int line = 1;           // position of the node's first character in the graph string:
    int col = 1;            // 1-based line (counting the string's own lines) and column
    int source = -1;        // set by the workflow model: index into Workflow::sources
};

// The left side of a dependency: a tree of & and | over node references.
struct Expr {
    enum class Kind { node, all_of, any_of };
    Kind kind = Kind::node;
    NodeRef node;                // Kind::node
    std::vector<Expr> children;  // all_of / any_of: two or more
};

// One dependency: every node of `right` depends on `left`. A graph line with
// no "=>" at all ("foo" alone, "foo & bar") gives one Dependency with no left
// for each node: the task exists on that recurrence with no prerequisites.
// Such a lone node keeps its qualifier and '?' ("foo:fail?", "FAM:succeed-any"):
// they only say whether that output is optional. No other right node has any.
// A chain "a => b => c" gives (a => b) and (b => c). A right node marked '!'
// ("a:fail => !b", suicide) is a suicide trigger: when the left side is met,
// b is removed from the pool instead of run. It stands only at the end of a
// chain, with no output and no '?'.
struct Dependency {
    std::optional<Expr> left;
    NodeRef right;
};

// Parse a whole graph string (the value of one recurrence key, possibly many
// lines). Throws ParseError whose offset is the byte offset in `text` of the
// offending token, with a message that says what is wrong and how to fix it.
std::vector<Dependency> parse_graph(std::string_view text);

// Call f on every node of e, left to right.
void for_each_node(const Expr& e, const std::function<void(const NodeRef&)>& f);

// The output a node's qualifier names: "" and succeed -> succeeded, fail ->
// failed, ... ; a family trigger's -all/-any is dropped; a custom output's
// name is returned as it is.
std::string output_of(const NodeRef& n, bool family);

// The built-in qualifiers, without the empty default: succeed, fail, ...
const std::vector<std::string>& builtin_qualifiers();

// Render an Expr back to graph syntax (for messages and `tock graph --format text`).
std::string to_string(const Expr& e);
std::string to_string(const NodeRef& n);

}  // namespace tock::config
