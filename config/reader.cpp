#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace tock::config::detail {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

std::string norm_key(std::string k) {
    std::replace(k.begin(), k.end(), '-', '_');
    return k;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += sep;
        out += v[i];
    }
    return out;
}

bool valid_name(std::string_view n) {
    if (n.empty()) return false;
    if (!(std::isalnum(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
    for (char c : n) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
              c == '%')) {
            return false;
        }
    }
    return true;
}

// ---- the reader ------------------------------------------------------------

Reader::Reader(std::string file, const std::string& text, std::vector<Diagnostic>& errs)
    : file_(std::move(file)), errs_(errs) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
}

Location Reader::loc(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
}

bool Reader::keys(const YAML::Node& map, const std::string& what,
                  const std::vector<std::string>& allowed) {
    if (!map.IsMap()) {
        error(map, fmt::format("{} must be a mapping of keys to values", what));
        return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : map) {
        const std::string key = norm_key(kv.first.as<std::string>(""));
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            error(kv.first, fmt::format("unknown key '{}' in {}{}; allowed keys: {}",
                                        kv.first.as<std::string>(""), what,
                                        did_you_mean(key, allowed), join(allowed)));
        }
        if (!seen.insert(key).second) {
            error(kv.first, fmt::format("key '{}' appears twice in {}: keep one",
                                        kv.first.as<std::string>(""), what));
        }
    }
    return true;
}

YAML::Node Reader::get(const YAML::Node& map, std::string_view key) const {
    if (!map.IsMap()) return YAML::Node();
    for (const auto& kv : map) {
        if (norm_key(kv.first.as<std::string>("")) == key) return kv.second;
    }
    return YAML::Node();
}

std::optional<std::string> Reader::str(const YAML::Node& n, const std::string& what) {
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) {
        error(n, fmt::format("{} must be a single value (text), not a {}", what,
                             n.IsMap() ? "mapping" : "list"));
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<bool> Reader::boolean(const YAML::Node& n, const std::string& what) {
    auto s = str(n, what);
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "True" || *s == "yes") return true;
    if (*s == "false" || *s == "False" || *s == "no") return false;
    error(n, fmt::format("{} must be true or false, not '{}'", what, *s));
    return std::nullopt;
}

std::optional<long> Reader::integer(const YAML::Node& n, const std::string& what, long min,
                                    long max) {
    auto s = str(n, what);
    if (!s) return std::nullopt;
    try {
        std::size_t used = 0;
        const long v = std::stol(*s, &used);
        if (used == s->size() && v >= min && v <= max) return v;
    } catch (const std::exception&) {
    }
    error(n, fmt::format("{} must be a whole number from {} to {}, not '{}'", what, min, max, *s));
    return std::nullopt;
}

std::vector<Reader::Item> Reader::items(const YAML::Node& n, const std::string& what, bool split) {
    std::vector<Item> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    auto add = [&](const YAML::Node& node) {
        const std::string& s = node.Scalar();
        if (!split) {
            out.push_back({s, node});
            return;
        }
        std::size_t start = 0;
        while (start <= s.size()) {
            std::size_t comma = s.find(',', start);
            if (comma == std::string::npos) comma = s.size();
            std::string item = s.substr(start, comma - start);
            item.erase(0, item.find_first_not_of(" \t"));
            item.erase(item.find_last_not_of(" \t") + 1);
            if (!item.empty()) out.push_back({item, node});
            start = comma + 1;
        }
    };
    if (n.IsScalar()) {
        add(n);
    } else if (n.IsSequence()) {
        for (const auto& item : n) {
            if (item.IsScalar()) {
                add(item);
            } else {
                error(item, fmt::format("each item of {} must be a single value", what));
            }
        }
    } else {
        error(n, fmt::format("{} must be a value or a list of values", what));
    }
    return out;
}

std::vector<std::string> Reader::strings(const YAML::Node& n, const std::string& what, bool split) {
    std::vector<std::string> out;
    for (auto& i : items(n, what, split)) out.push_back(std::move(i.text));
    return out;
}

Location Reader::inside(const YAML::Node& n, std::size_t offset) const {
    const std::string& text = n.Scalar();
    int sline = 0;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++sline;
            line_start = i + 1;
        }
    }
    return inside_lc(n, sline, static_cast<int>(offset - std::min(offset, line_start)));
}

Location Reader::inside_lc(const YAML::Node& n, int sline, int scol) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0 || static_cast<std::size_t>(m.line) >= lines_.size()) return loc(n);
    const std::string& first = lines_[m.line];
    // Skip an anchor (&name) or a tag (!tag) before the scalar itself.
    std::size_t c = static_cast<std::size_t>(m.column);
    while (c < first.size() && (first[c] == '&' || first[c] == '!')) {
        c = first.find(' ', c);
        if (c == std::string::npos) break;
        c = first.find_first_not_of(' ', c);
    }
    const char lead = c < first.size() ? first[c] : ' ';
    if (lead == '>') return loc(n);  // folded: lines joined, no exact place
    if (lead == '|') {
        // Block scalar: content starts on the next line, at the indentation
        // of its first non-blank line.
        int indent = 0;
        for (std::size_t l = m.line + 1; l < lines_.size(); ++l) {
            const auto nb = lines_[l].find_first_not_of(' ');
            if (nb != std::string::npos) {
                indent = static_cast<int>(nb);
                break;
            }
        }
        return {file_, m.line + 2 + sline, indent + scol + 1};
    }
    const int quote = (lead == '"' || lead == '\'') ? 1 : 0;
    // A plain or quoted scalar spread over several lines is folded into
    // one; only a single-line one maps exactly.
    const bool one_line = n.Scalar().find('\n') == std::string::npos &&
                          first.size() >= c + n.Scalar().size() + 2 * quote &&
                          first.compare(c + quote, n.Scalar().size(), n.Scalar()) == 0;
    if (sline == 0 && one_line) return {file_, m.line + 1, static_cast<int>(c) + quote + scol + 1};
    return loc(n);
}

}  // namespace tock::config::detail
