// Task parameters, as Cylc's [task parameters]: one name written once for
// every member of an ensemble. `model<member>` in the graph or in runtime
// stands for model_member01, model_member02, ...; `model<member-1>` for the
// member before (none before the first); `model<member=5>` for one member;
// `post<member, region>` for every combination.
//
// This file knows the values, the templates names are written with, and how
// one parameterised name becomes a concrete one for a choice of values. The
// workflow loader decides where names are expanded (load_graph.cpp for the
// graph, load_runtime.cpp for runtime names).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/error.hpp"

namespace tock::config {

struct Parameter {
    std::string name;
    std::vector<std::string> values;  // in order, as written ("1", "2", ... or "north", ...)
    bool integer = false;             // every value is an integer
    std::string tmpl;                 // "_member%(member)02d" (Cylc's default) or the user's
    Location where;
};

// One "<...>" group's entry: member (free), member-1 / member+2 (offset by
// position in the values), member=5 (fixed).
struct ParamSpec {
    enum class Kind { free, offset, fixed };
    std::string param;
    Kind kind = Kind::free;
    long offset = 0;      // Kind::offset
    std::string value;    // Kind::fixed, as written
    std::size_t pos = 0;  // byte offset of the parameter's name in the whole name
};

// A name with parameter groups: text[0] <group 0> text[1] <group 1> ... text[n].
struct ParamName {
    std::vector<std::string> text;
    std::vector<std::vector<ParamSpec>> groups;
    bool parameterised() const { return !groups.empty(); }
    // The parameters it leaves free (free or offset), in order of appearance.
    std::vector<std::string> free_params() const;
};

// Split "model<member-1, region=north>_x". Throws ParseError (offset in
// `name`) for an unclosed '<', an empty group, or a malformed entry.
ParamName parse_param_name(std::string_view name);

// The name a choice of values makes: each parameter written through its
// template. `chosen` maps a parameter to its value's index; nullopt when an
// offset falls outside the values (no such member: the node is dropped).
using Binding = std::map<std::string, std::size_t>;
std::optional<std::string> instantiate(const ParamName& pn,
                                       const std::map<std::string, Parameter>& params,
                                       const Binding& chosen);

// The index of a fixed value in its parameter's values (nullopt: not one).
std::optional<std::size_t> value_index(const Parameter& p, std::string_view value);

// A parameter's value written through its template: "_member05".
std::string render(const Parameter& p, std::size_t index);

// Cylc's default template: "_%(region)s" for names, "_member%(member)02d"
// for integers, zero-padded to the widest value.
std::string default_template(const Parameter& p);

// Check a template: it must use %(NAME)s or %(NAME)[0][width]d with its own
// parameter's name (d for integers only). Returns "" or what is wrong.
std::string check_template(const Parameter& p, std::string_view tmpl);

// Parse one parameter's values from a scalar: "1..50", "0..48..6", "5",
// "1, 3, 5", "north, south". Throws ParseError.
std::vector<std::string> parse_values(std::string_view text);

// Every choice of values for `names` (the cartesian product, the first name
// varying slowest), each as a Binding.
std::vector<Binding> bindings(const std::vector<std::string>& names,
                              const std::map<std::string, Parameter>& params);

}  // namespace tock::config
