// Reading a Cylc 8 flow.cylc (the "parsec" format) into a tree of sections,
// as Cylc reads it: %include files inlined (relative to the including
// file), then Jinja2 rendered if the first line is #!jinja2, then lines
// ending in '\' joined to the next, then headings and items parsed.
// Repeated sections merge; a repeated item overrides the earlier one,
// except under [scheduling][[graph]], where graph strings are joined.
//
// Every failure is a ReadError carrying the exit status tock import gives
// it (2: a file it cannot read or parse) and a message that names the file
// and line.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tock::cylc {

struct ReadError : std::runtime_error {
    explicit ReadError(const std::string& what) : std::runtime_error(what) {}
};

// Where a line came from: a file and its 1-based line number, or, after
// Jinja2, a line of the rendered text.
struct Loc {
    std::string file;
    int line = 0;
    bool rendered = false;  // line counts lines of the Jinja2 output
    std::string str() const;
};

struct Item {
    std::string key;
    std::string value;  // unquoted; a multi-line string keeps its lines
    Loc where;
};

struct Section {
    std::string name;
    Loc where;
    std::vector<Item> items;
    std::vector<std::unique_ptr<Section>> subs;

    const Item* item(const std::string& key) const;
    const Section* sub(const std::string& name) const;
    Item& set(const std::string& key, const std::string& value, const Loc& where, bool join);
    Section& child(const std::string& name, const Loc& where);
};

struct ReadOptions {
    // Template variables: name to its text, read as a Python literal.
    std::vector<std::pair<std::string, std::string>> vars;
    // The python with Jinja2 (TOCK_PYTHON overrides, for tests).
    std::string python = "/usr/bin/python3";
    // If set: filled with the text as read (includes inlined, Jinja2
    // rendered), whose line numbers a "line N of the Jinja2 output" names,
    // and nothing is parsed.
    std::vector<std::string>* text = nullptr;
};

// The whole file read and parsed; the root section holds the top-level
// sections ([meta], [scheduler] ...). Throws ReadError.
Section read_flow(const std::string& path, const ReadOptions& opts);

// Cylc's list values: comma-separated, items may be quoted.
std::vector<std::string> split_list(const std::string& value);

}  // namespace tock::cylc
