#include "tools/yaml_out.hpp"

#include <fmt/format.h>

#include <set>

namespace tock::yout {

namespace {

bool plain_ok(const std::string& s, bool flow) {
    static const std::set<std::string> reserved = {"true", "false", "yes", "no", "on",
                                                   "off",  "null",  "~",   "y",  "n"};
    if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (reserved.count(lower)) return false;
    const std::string indicators = "?:,[]{}#&*!|>'\"%@`";
    if (indicators.find(s.front()) != std::string::npos) return false;
    if (s.front() == '-' && (s.size() == 1 || s[1] == ' ')) return false;
    if (s.back() == ':') return false;
    if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
        if (flow && std::string(",[]{}?:#").find(c) != std::string::npos) return false;
    }
    return true;
}

std::string quoted(const std::string& s) {
    // Single quotes read best, when the text allows them.
    bool single = s.find('\'') == std::string::npos;
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x20) single = false;
    }
    if (single) return "'" + s + "'";
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

bool multiline(const std::string& s) {
    return s.find('\n') != std::string::npos;
}

// Whether a literal block (|) reads back as exactly this text; if not, it
// is written double-quoted, which always does.
bool literal_ok(const std::string& s) {
    if (!multiline(s) || s.front() == '\n' || s.front() == '\t') return false;
    if (s.size() >= 2 && s.compare(s.size() - 2, 2, "\n\n") == 0) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
        const bool eol = i + 1 == s.size() || s[i + 1] == '\n';
        if (eol && (c == ' ' || c == '\t')) return false;  // trailing blanks
    }
    return true;
}

}  // namespace

std::string scalar(const std::string& text, bool flow) {
    return plain_ok(text, flow) ? text : quoted(text);
}

Node Node::str(std::string text) {
    Node n;
    n.kind_ = Kind::scalar;
    n.text_ = std::move(text);
    return n;
}

Node Node::plain(std::string text) {
    Node n = str(std::move(text));
    n.plain_ = true;
    return n;
}

Node Node::map() {
    Node n;
    n.kind_ = Kind::map;
    return n;
}

Node Node::list() {
    Node n;
    n.kind_ = Kind::list;
    return n;
}

bool Node::empty() const {
    if (kind_ != Kind::map) return kind_ == Kind::list && entries_.empty();
    for (const auto& e : entries_) {
        if (e.is_comment) continue;
        if (e.value->kind_ == Kind::map && !e.value->keep_ && e.value->empty()) continue;
        return false;
    }
    return true;
}

void Node::comments(std::vector<std::string>& out) const {
    for (const auto& e : entries_) {
        if (e.is_comment) {
            out.push_back(e.comment);
        } else if (e.value->kind_ == Kind::map) {
            e.value->comments(out);
        }
    }
}

Node& Node::set(const std::string& key, Node value) {
    for (auto& e : entries_) {
        if (!e.is_comment && e.key == key) {
            *e.value = std::move(value);
            return *e.value;
        }
    }
    entries_.push_back(Entry{key, std::make_unique<Node>(std::move(value)), "", false});
    return *entries_.back().value;
}

Node& Node::child(const std::string& key) {
    if (Node* n = find(key)) return *n;
    return set(key, map());
}

Node* Node::find(const std::string& key) {
    for (auto& e : entries_) {
        if (!e.is_comment && e.key == key) return e.value.get();
    }
    return nullptr;
}

void Node::erase(const std::string& key) {
    std::erase_if(entries_, [&](const Entry& e) { return !e.is_comment && e.key == key; });
}

void Node::push(Node value) {
    entries_.push_back(Entry{"", std::make_unique<Node>(std::move(value)), "", false});
}

void Node::comment(const std::string& text) {
    entries_.push_back(Entry{"", nullptr, text, true});
}

std::string Node::write() const {
    std::string out;
    write_map(out, 0);
    return out;
}

void Node::write_map(std::string& out, int indent) const {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    for (const auto& e : entries_) {
        if (e.is_comment) {
            std::size_t at = 0;
            for (;;) {
                const auto nl = e.comment.find('\n', at);
                out += pad + "# " + e.comment.substr(at, nl - at) + "\n";
                if (nl == std::string::npos) break;
                at = nl + 1;
            }
            continue;
        }
        if (e.value->kind_ == Kind::map && e.value->empty()) {
            // No value in it: its comments go in its place, above the key
            // written {} if it is kept, else instead of it.
            std::vector<std::string> lines;
            e.value->comments(lines);
            for (const auto& c : lines) out += pad + "# " + c + "\n";
            if (e.value->keep_) out += pad + scalar(e.key) + ": {}\n";
            continue;
        }
        out += pad + scalar(e.key) + ":";
        e.value->write_value(out, indent);
    }
}

// After "key:": the rest of the line and the lines below it.
void Node::write_value(std::string& out, int indent) const {
    const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
    if (kind_ == Kind::scalar) {
        if (plain_) {
            out += " " + text_ + "\n";
        } else if (literal_ok(text_)) {
            // An indentation indicator when the first line starts with
            // blanks, which YAML would otherwise take for indentation.
            out += text_.front() == ' ' ? " |2" : " |";
            if (text_.back() != '\n') out += "-";
            out += "\n";
            std::size_t at = 0;
            while (at < text_.size()) {
                auto nl = text_.find('\n', at);
                if (nl == std::string::npos) nl = text_.size();
                const std::string line = text_.substr(at, nl - at);
                out += line.empty() ? "\n" : pad + line + "\n";
                at = nl + 1;
            }
        } else {
            // Appended piece by piece: gcc 12 at -O3 reports a false
            // -Wrestrict overlap in '" " + std::string&&'.
            out += ' ';
            out += scalar(text_);
            out += '\n';
        }
        return;
    }
    if (kind_ == Kind::map) {
        if (empty()) {
            out += " {}\n";
            return;
        }
        out += "\n";
        write_map(out, indent + 2);
        return;
    }
    // A list: [a, b] when every item is a short one-line scalar.
    bool flow = true;
    std::size_t width = 0;
    for (const auto& e : entries_) {
        if (e.is_comment || e.value->kind_ != Kind::scalar || multiline(e.value->text_) ||
            (!e.value->plain_ && !plain_ok(e.value->text_, true) && e.value->text_.size() > 30)) {
            flow = false;
            break;
        }
        width += e.value->text_.size() + 2;
    }
    if (flow && width < 80) {
        out += " [";
        bool first = true;
        for (const auto& e : entries_) {
            if (!first) out += ", ";
            first = false;
            out += e.value->plain_ ? e.value->text_ : scalar(e.value->text_, true);
        }
        out += "]\n";
        return;
    }
    out += "\n";
    for (const auto& e : entries_) {
        if (e.is_comment) {
            out += pad + "# " + e.comment + "\n";
            continue;
        }
        out += pad + "-";
        if (e.value->kind_ == Kind::map && !e.value->empty()) {
            // Not needed by tock import's output; written as a flow-free block.
            out += "\n";
            e.value->write_map(out, indent + 4);
        } else {
            e.value->write_value(out, indent + 2);
        }
    }
}

}  // namespace tock::yout
