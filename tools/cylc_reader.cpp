#include "tools/cylc_reader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tools/cylc_jinja.hpp"

namespace tock::cylc {

namespace fs = std::filesystem;

std::string Loc::str() const {
    if (rendered) {
        return fmt::format("{}: line {} of the Jinja2 output (tock import --rendered shows it)",
                           file, line);
    }
    return fmt::format("{}:{}", file, line);
}

const Item* Section::item(const std::string& key) const {
    for (const auto& i : items) {
        if (i.key == key) return &i;
    }
    return nullptr;
}

const Section* Section::sub(const std::string& n) const {
    for (const auto& s : subs) {
        if (s->name == n) return s.get();
    }
    return nullptr;
}

Item& Section::set(const std::string& key, const std::string& value, const Loc& where, bool join) {
    for (auto& i : items) {
        if (i.key != key) continue;
        i.value = join ? i.value + "\n" + value : value;
        if (!join) i.where = where;
        return i;
    }
    items.push_back(Item{key, value, where});
    return items.back();
}

Section& Section::child(const std::string& n, const Loc& where) {
    for (auto& s : subs) {
        if (s->name == n) return *s;
    }
    subs.push_back(std::make_unique<Section>());
    subs.back()->name = n;
    subs.back()->where = where;
    return *subs.back();
}

namespace {

struct Line {
    std::string text;
    Loc where;
};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

[[noreturn]] void fail(const Loc& where, const std::string& what) {
    throw ReadError(fmt::format("{}: error: {}", where.str(), what));
}

std::vector<std::string> read_lines(const fs::path& path, const std::string& shown) {
    std::ifstream in(path);
    if (!in) {
        throw ReadError(
            fmt::format("{}: error: cannot read the file: {}", shown, std::strerror(errno)));
    }
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        out.push_back(l);
    }
    return out;
}

// %include "path": the file's lines in place, recursively, relative to the
// including file.
void inline_file(const fs::path& path, const std::string& shown, std::vector<Line>& out,
                 std::vector<fs::path>& stack) {
    const auto lines = read_lines(path, shown);
    stack.push_back(fs::weakly_canonical(path));
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const Loc where{shown, static_cast<int>(i + 1)};
        const std::string t = trim(lines[i]);
        if (t.rfind("%include", 0) != 0 || t.size() < 9 || (t[8] != ' ' && t[8] != '\t')) {
            out.push_back(Line{lines[i], where});
            continue;
        }
        std::string target = trim(t.substr(8));
        if (target.size() >= 2 && (target[0] == '"' || target[0] == '\'') &&
            target.back() == target[0]) {
            target = target.substr(1, target.size() - 2);
        }
        if (target.empty()) fail(where, "%include needs a file: %include \"path\"");
        const fs::path full =
            fs::path(target).is_absolute() ? fs::path(target) : path.parent_path() / target;
        const std::string shown_inc = fs::path(target).is_absolute()
                                          ? target
                                          : (fs::path(shown).parent_path() / target).string();
        const auto canon = fs::weakly_canonical(full);
        for (const auto& s : stack) {
            if (s == canon) fail(where, fmt::format("%include of {} includes itself", target));
        }
        std::error_code ec;
        if (!fs::is_regular_file(full, ec)) {
            fail(where, fmt::format("%include: cannot read {}: no such file", shown_inc));
        }
        inline_file(full, shown_inc, out, stack);
    }
    stack.pop_back();
}

// Lines ending in '\' joined to the next, as Cylc joins them (inside
// strings too).
std::vector<Line> join_continuations(std::vector<Line> lines) {
    std::vector<Line> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        Line l = lines[i];
        while (!l.text.empty() && l.text.back() == '\\') {
            if (i + 1 >= lines.size()) fail(l.where, "a '\\' continues the last line of the file");
            l.text.pop_back();
            l.text += lines[++i].text;
        }
        out.push_back(std::move(l));
    }
    return out;
}

// The text after a quoted value (or after a multi-line string's close):
// nothing, or a comment.
void expect_end(const std::string& rest, const Loc& where) {
    const std::string t = trim(rest);
    if (!t.empty() && t[0] != '#') {
        fail(where,
             fmt::format("unexpected '{}' after the quoted value: quote the whole value", t));
    }
}

// An unquoted value ends at a comment.
std::string strip_comment(const std::string& v) {
    char quote = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            return trim(v.substr(0, i));
        }
    }
    return trim(v);
}

// Like Python's textwrap.dedent, then blank lines at either end dropped.
std::string dedent(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::size_t common = std::string::npos;
    for (const auto& l : lines) {
        const auto b = l.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        common = std::min(common, b);
    }
    while (!lines.empty() && trim(lines.front()).empty()) lines.erase(lines.begin());
    while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string l = lines[i];
        if (trim(l).empty()) {
            l.clear();
        } else if (common != std::string::npos) {
            l = l.substr(common);
        }
        while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();
        out += l;
        if (i + 1 < lines.size()) out += '\n';
    }
    return out;
}

class Parser {
  public:
    explicit Parser(const std::vector<Line>& lines) : lines_(lines) {}

    Section parse() {
        Section root;
        root.name = "";
        std::vector<Section*> path{&root};
        for (i_ = 0; i_ < lines_.size(); ++i_) {
            const Line& l = lines_[i_];
            const std::string t = trim(l.text);
            if (t.empty() || t[0] == '#') continue;
            if (t[0] == '[') {
                std::size_t open = 0, close = 0;
                std::string name;
                if (!heading(t, open, name, close)) {
                    fail(l.where, fmt::format("cannot read the heading '{}': write [section], "
                                              "[[sub-section]] ...",
                                              t));
                }
                name = collapse(name);
                if (open != close) {
                    fail(l.where,
                         fmt::format("the heading '{}' has {} '[' but {} ']'", t, open, close));
                }
                if (name.empty()) fail(l.where, "an empty heading");
                if (open > path.size()) {
                    fail(l.where, fmt::format("the heading '{}' is {} levels deep, but it is "
                                              "inside a level-{} section: add the missing "
                                              "heading above it",
                                              t, open, path.size() - 1));
                }
                path.resize(open);
                path.push_back(&path.back()->child(name, l.where));
                continue;
            }
            const auto eq = t.find('=');
            if (eq == std::string::npos || trim(t.substr(0, eq)).empty() || t[0] == '"' ||
                t[0] == '\'') {
                fail(l.where,
                     fmt::format("cannot read '{}': expected [section], key = value or # comment",
                                 t));
            }
            const std::string key = collapse(t.substr(0, eq));
            std::string raw = t.substr(eq + 1);
            if (!raw.empty() && raw[0] == '>') {
                fail(l.where, fmt::format("'{}' looks like graph text outside a string: graph "
                                          "lines go in a \"\"\" string under [[graph]]",
                                          t));
            }
            if (path.size() == 1) {
                fail(l.where, fmt::format("'{}' is outside any section: put it under a heading "
                                          "such as [scheduler]",
                                          key));
            }
            const std::string value = read_value(trim(raw), l.where);
            // Graph strings given twice join (Cylc 7's [[dependencies]] and
            // its [[[RECURRENCE]]] sections too); any other item is replaced.
            const bool graph = path.size() >= 3 && path[1]->name == "scheduling" &&
                               (path[2]->name == "graph" || path[2]->name == "dependencies");
            path.back()->set(key, value, l.where, graph);
        }
        return root;
    }

  private:
    // t (trimmed) as [[name]] # comment: the '[' and ']' counted. The name
    // ends at the first run of ']' followed by nothing but a comment.
    static bool heading(const std::string& t, std::size_t& open, std::string& name,
                        std::size_t& close) {
        open = t.find_first_not_of('[');
        if (open == std::string::npos) return false;
        for (std::size_t i = open; i < t.size(); ++i) {
            if (t[i] != ']') continue;
            std::size_t j = i;
            while (j < t.size() && t[j] == ']') ++j;
            const std::size_t k = t.find_first_not_of(" \t", j);
            if (k == std::string::npos || t[k] == '#') {
                name = t.substr(open, i - open);
                close = j - i;
                return true;
            }
        }
        return false;
    }

    static std::string collapse(const std::string& s) {
        std::string out;
        bool space = false;
        for (char c : trim(s)) {
            if (c == ' ' || c == '\t') {
                space = true;
                continue;
            }
            if (space && !out.empty()) out += ' ';
            space = false;
            out += c;
        }
        return out;
    }

    std::string read_value(const std::string& v, const Loc& where) {
        for (const char* q : {"\"\"\"", "'''"}) {
            if (v.rfind(q, 0) != 0) continue;
            const std::string rest = v.substr(3);
            if (auto close = rest.find(q); close != std::string::npos) {
                expect_end(rest.substr(close + 3), where);
                return rest.substr(0, close);
            }
            std::string text = rest;
            for (++i_; i_ < lines_.size(); ++i_) {
                const std::string& t = lines_[i_].text;
                if (auto close = t.find(q); close != std::string::npos) {
                    expect_end(t.substr(close + 3), lines_[i_].where);
                    text += '\n';  // not "\n" + ...: gcc 12's false -Wrestrict at -O3
                    text += t.substr(0, close);
                    return dedent(text);
                }
                text += "\n" + t;
            }
            fail(where, fmt::format("the {} string that starts here is never closed", q));
        }
        if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
            const auto close = v.find(v[0], 1);
            if (close != std::string::npos) {
                const std::string rest = trim(v.substr(close + 1));
                if (rest.empty() || rest[0] == '#') return v.substr(1, close - 1);
            }
            if (close == std::string::npos) {
                fail(where, fmt::format("the quote {} is never closed on this line", v[0]));
            }
        }
        return strip_comment(v);
    }

    const std::vector<Line>& lines_;
    std::size_t i_ = 0;
};

}  // namespace

std::vector<std::string> split_list(const std::string& value) {
    // As Cylc reads a list: comma-separated items, each either quoted
    // ("a, b" is one item) or running to the next comma.
    std::vector<std::string> out;
    std::size_t i = 0;
    const std::size_t n = value.size();
    while (i < n) {
        while (i < n && (value[i] == ' ' || value[i] == '\t')) ++i;
        if (i >= n) break;
        std::string item;
        if (value[i] == '"' || value[i] == '\'') {
            const char q = value[i];
            const auto close = value.find(q, i + 1);
            item = value.substr(i + 1, (close == std::string::npos ? n : close) - i - 1);
            i = close == std::string::npos ? n : close + 1;
            const auto comma = value.find(',', i);
            i = comma == std::string::npos ? n : comma + 1;
            out.push_back(item);
            continue;
        }
        const auto comma = value.find(',', i);
        item = trim(value.substr(i, (comma == std::string::npos ? n : comma) - i));
        i = comma == std::string::npos ? n : comma + 1;
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

Section read_flow(const std::string& path, const ReadOptions& opts) {
    std::vector<Line> lines;
    std::vector<fs::path> stack;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        throw ReadError(fmt::format("{}: error: is a directory: give the flow.cylc file", path));
    }
    inline_file(path, path, lines, stack);
    // The first line names the template processor, in any case: #!Jinja2.
    std::string first = lines.empty() ? "" : lines[0].text;
    for (auto& c : first) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool jinja = trim(first) == "#!jinja2" && first.rfind("#!", 0) == 0;
    const bool empy = first.rfind("#!empy", 0) == 0 &&
                      (first.size() == 6 ||
                       !(std::isalnum(static_cast<unsigned char>(first[6])) || first[6] == '_'));
    if (empy) {
        fail(lines[0].where,
             "EmPy templates (#!empy) are not supported: tock import renders Jinja2 only "
             "(#!jinja2); port the template to Jinja2, or render it with empy and import the "
             "result");
    }
    if (jinja) {
        std::vector<Loc> origin;
        std::string text;
        for (const auto& l : lines) {
            text += l.text + "\n";
            origin.push_back(l.where);
        }
        const auto rendered = render_jinja2(text, origin, fs::path(path).parent_path().string(),
                                            opts.vars, opts.python);
        if (opts.text) {
            *opts.text = rendered;
            return Section{};
        }
        lines.clear();
        int n = 0;
        for (const auto& l : rendered) {
            ++n;
            // Jinja2 leaves blank lines where a line held only a statement;
            // Cylc drops every blank line so that continuations still join.
            if (trim(l).empty()) continue;
            lines.push_back(Line{l, Loc{path, n, true}});
        }
    } else if (!opts.vars.empty()) {
        fmt::print(stderr,
                   "tock import: warning: {} is no Jinja2 template (its first line is not "
                   "#!jinja2): --set and --set-file have no effect\n",
                   path);
    }
    if (opts.text) {
        for (const auto& l : lines) opts.text->push_back(l.text);
        return Section{};
    }
    return Parser(join_continuations(std::move(lines))).parse();
}

}  // namespace tock::cylc
