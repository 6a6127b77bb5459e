// Task parameters: values, templates, and names written with <...>.
#include "config/parameters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace tock::config {

namespace {

bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
    return ident_start(c) || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<long long> to_int(std::string_view s) {
    long long v = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (b != e && *b == '+') ++b;
    auto [p, ec] = std::from_chars(b, e, v);
    if (ec != std::errc() || p != e || b == e) return std::nullopt;
    return v;
}

// One %(name)... directive of a template, or plain text.
struct Piece {
    std::string text;  // plain text (directive empty)
    std::string name;  // the parameter named, "" for plain text
    bool zero = false;
    int width = 0;
    char conv = 's';
};

Piece plain(std::string text) {
    Piece p;
    p.text = std::move(text);
    return p;
}

// Split a template into pieces; "" in `err` or what is wrong.
std::vector<Piece> pieces(std::string_view t, std::string& err) {
    std::vector<Piece> out;
    std::string text;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] != '%') {
            text += t[i];
            continue;
        }
        if (i + 1 < t.size() && t[i + 1] == '%') {
            text += '%';
            ++i;
            continue;
        }
        if (i + 1 >= t.size() || t[i + 1] != '(') {
            err = "a '%' starts %(NAME)s or %(NAME)02d (write %% for a percent sign)";
            return out;
        }
        const auto close = t.find(')', i + 2);
        if (close == std::string_view::npos) {
            err = "'%(' is not closed by ')'";
            return out;
        }
        Piece p;
        p.name = std::string(t.substr(i + 2, close - i - 2));
        std::size_t j = close + 1;
        if (j < t.size() && t[j] == '0') {
            p.zero = true;
            ++j;
        }
        while (j < t.size() && t[j] >= '0' && t[j] <= '9') p.width = p.width * 10 + (t[j++] - '0');
        if (j >= t.size() || (t[j] != 's' && t[j] != 'd')) {
            err =
                fmt::format("%({}) must end in s (the value as written) or d (an integer)", p.name);
            return out;
        }
        p.conv = t[j];
        if (!text.empty()) out.push_back(plain(std::move(text)));
        text.clear();
        out.push_back(std::move(p));
        i = j;
    }
    if (!text.empty()) out.push_back(plain(std::move(text)));
    return out;
}

}  // namespace

std::vector<std::string> ParamName::free_params() const {
    std::vector<std::string> out;
    for (const auto& g : groups) {
        for (const auto& s : g) {
            if (s.kind != ParamSpec::Kind::fixed &&
                std::find(out.begin(), out.end(), s.param) == out.end())
                out.push_back(s.param);
        }
    }
    return out;
}

ParamName parse_param_name(std::string_view name) {
    ParamName pn;
    pn.text.emplace_back();
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '>') throw ParseError("'>' without its '<'", i);
        if (name[i] != '<') {
            pn.text.back() += name[i];
            continue;
        }
        const auto close = name.find('>', i + 1);
        if (close == std::string_view::npos) throw ParseError("'<' is not closed by '>'", i);
        if (const auto inner = name.find('<', i + 1); inner < close)
            throw ParseError("'<' inside a parameter group", inner);
        std::vector<ParamSpec> group;
        std::size_t start = i + 1;
        while (start <= close) {
            std::size_t end = name.find(',', start);
            if (end == std::string_view::npos || end > close) end = close;
            const std::string_view raw = name.substr(start, end - start);
            const std::string_view entry = trim(raw);
            const std::size_t at = start + (entry.empty() ? 0 : raw.find(entry.front()));
            if (entry.empty())
                throw ParseError("an empty parameter: write <NAME>, <NAME-1> or <NAME=VALUE>", at);
            std::size_t k = 0;
            if (!ident_start(entry[0]))
                throw ParseError(fmt::format("'{}' is not a parameter name", entry), at);
            while (k < entry.size() && ident_char(entry[k])) ++k;
            ParamSpec s;
            s.param = std::string(entry.substr(0, k));
            s.pos = at;
            const std::string_view rest = trim(entry.substr(k));
            if (rest.empty()) {
                s.kind = ParamSpec::Kind::free;
            } else if (rest[0] == '=') {
                s.kind = ParamSpec::Kind::fixed;
                s.value = std::string(trim(rest.substr(1)));
                if (s.value.empty())
                    throw ParseError(fmt::format("<{}=...> needs a value", s.param), at);
            } else if (rest[0] == '-' || rest[0] == '+') {
                auto n = to_int(trim(rest.substr(1)));
                if (!n || *n == 0)
                    throw ParseError(fmt::format("<{}{}...> needs a whole number of steps, "
                                                 "e.g. <{}-1>",
                                                 s.param, rest[0], s.param),
                                     at);
                s.kind = ParamSpec::Kind::offset;
                s.offset = static_cast<long>(rest[0] == '-' ? -*n : *n);
            } else {
                throw ParseError(fmt::format("'{}': write <NAME>, <NAME-1>, <NAME+1> or "
                                             "<NAME=VALUE>",
                                             entry),
                                 at);
            }
            group.push_back(std::move(s));
            start = end + 1;
        }
        pn.groups.push_back(std::move(group));
        pn.text.emplace_back();
        i = close;
    }
    return pn;
}

std::optional<std::size_t> value_index(const Parameter& p, std::string_view value) {
    const auto want = p.integer ? to_int(value) : std::nullopt;
    for (std::size_t i = 0; i < p.values.size(); ++i) {
        if (p.integer ? (want && to_int(p.values[i]) == want) : p.values[i] == value) return i;
    }
    return std::nullopt;
}

std::optional<std::string> instantiate(const ParamName& pn,
                                       const std::map<std::string, Parameter>& params,
                                       const Binding& chosen) {
    std::string out = pn.text[0];
    for (std::size_t g = 0; g < pn.groups.size(); ++g) {
        for (const auto& s : pn.groups[g]) {
            const Parameter& p = params.at(s.param);
            std::optional<std::size_t> idx;
            if (s.kind == ParamSpec::Kind::fixed) {
                idx = value_index(p, s.value);
            } else {
                const long i = static_cast<long>(chosen.at(s.param)) +
                               (s.kind == ParamSpec::Kind::offset ? s.offset : 0);
                if (i >= 0 && i < static_cast<long>(p.values.size()))
                    idx = static_cast<std::size_t>(i);
            }
            if (!idx) return std::nullopt;
            out += render(p, *idx);
        }
        out += pn.text[g + 1];
    }
    return out;
}

std::string render(const Parameter& p, std::size_t index) {
    std::string err;
    std::string out;
    for (const auto& pc : pieces(p.tmpl, err)) {
        if (pc.name.empty()) {
            out += pc.text;
            continue;
        }
        std::string v = p.values[index];
        if (pc.conv == 'd') {
            const long long n = to_int(v).value_or(0);
            v = std::to_string(n < 0 ? -n : n);
            const std::size_t w = static_cast<std::size_t>(pc.width) - (n < 0 ? 1 : 0);
            if (pc.width > 0 && v.size() < w) v.insert(0, w - v.size(), pc.zero ? '0' : ' ');
            if (n < 0) v.insert(0, 1, '-');
        } else if (pc.width > 0 && v.size() < static_cast<std::size_t>(pc.width)) {
            v.insert(0, pc.width - v.size(), ' ');
        }
        out += v;
    }
    return out;
}

std::string default_template(const Parameter& p) {
    if (!p.integer) return fmt::format("_%({})s", p.name);
    std::size_t width = 0;
    for (const auto& v : p.values) width = std::max(width, std::to_string(*to_int(v)).size());
    return fmt::format("_{}%({})0{}d", p.name, p.name, width);
}

std::string check_template(const Parameter& p, std::string_view tmpl) {
    std::string err;
    const auto ps = pieces(tmpl, err);
    if (!err.empty()) return err;
    bool uses = false;
    for (const auto& pc : ps) {
        if (pc.name.empty()) continue;
        if (pc.name != p.name)
            return fmt::format("it names %({}), but it is the template of '{}': write %({})s",
                               pc.name, p.name, p.name);
        if (pc.conv == 'd' && !p.integer)
            return fmt::format("%({}){}d formats an integer, and '{}' has names: use %({})s",
                               p.name, pc.zero ? "0" : "", p.name, p.name);
        uses = true;
    }
    if (!uses)
        return fmt::format(
            "it must contain %({})s (or %({})02d), or every value would "
            "give the same name",
            p.name, p.name);
    return "";
}

std::vector<std::string> parse_values(std::string_view text) {
    constexpr std::size_t kMaxValues = 100000;
    std::vector<std::string> out;
    const std::string_view t = trim(text);
    if (const auto dots = t.find(".."); dots != std::string_view::npos) {
        std::vector<long long> nums;
        std::size_t start = 0;
        while (true) {
            const auto d = t.find("..", start);
            const auto part =
                trim(t.substr(start, d == std::string_view::npos ? t.npos : d - start));
            auto n = to_int(part);
            if (!n)
                throw ParseError(fmt::format("'{}' is not an integer: a range is FIRST..LAST or "
                                             "FIRST..LAST..STEP",
                                             part),
                                 start);
            nums.push_back(*n);
            if (d == std::string_view::npos) break;
            start = d + 2;
        }
        if (nums.size() > 3) throw ParseError("a range is FIRST..LAST or FIRST..LAST..STEP", 0);
        const long long step = nums.size() == 3 ? nums[2] : 1;
        if (step <= 0) throw ParseError("a range's step must be positive", 0);
        if (nums[1] < nums[0])
            throw ParseError(fmt::format("the range {}..{} is empty: write the smaller value first",
                                         nums[0], nums[1]),
                             0);
        if ((nums[1] - nums[0]) / step >= static_cast<long long>(kMaxValues))
            throw ParseError(fmt::format("the range has more than {} values", kMaxValues), 0);
        for (long long v = nums[0]; v <= nums[1]; v += step) out.push_back(std::to_string(v));
        return out;
    }
    std::size_t start = 0;
    while (start <= t.size()) {
        auto end = t.find(',', start);
        if (end == std::string_view::npos) end = t.size();
        const auto v = trim(t.substr(start, end - start));
        if (v.empty()) throw ParseError("an empty value: separate values with ', '", start);
        out.emplace_back(v);
        start = end + 1;
    }
    return out;
}

std::vector<Binding> bindings(const std::vector<std::string>& names,
                              const std::map<std::string, Parameter>& params) {
    std::vector<Binding> out{Binding{}};
    for (const auto& n : names) {
        std::vector<Binding> next;
        const std::size_t count = params.at(n).values.size();
        for (const auto& b : out) {
            for (std::size_t i = 0; i < count; ++i) {
                Binding c = b;
                c[n] = i;
                next.push_back(std::move(c));
            }
        }
        out = std::move(next);
    }
    return out;
}

}  // namespace tock::config
