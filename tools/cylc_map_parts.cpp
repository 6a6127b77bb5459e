#include "tools/cylc_map_parts.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tock::cylc::parts {

// Why, for settings that recur.
const char* const kMail =
    "tock sends no mail: run a command that mails from an event handler instead";
const char* const kPlatform =
    "Cylc's platforms are defined in global.cylc, which tock does not read: define the "
    "platform under platforms (docs/platforms.md) and give the task platform: NAME";
const char* const kDirectives =
    "directives are for a Slurm platform, which Cylc defines in global.cylc: define one under "
    "platforms (docs/platforms.md), give the task platform: NAME, and write them under "
    "directives";
const char* const kPolling =
    "tock hears of job events from the job itself and polls only on `tock poll`";
const char* const kCylc7 = "a Cylc 7 setting that Cylc 8 reads only in back-compat mode";
const char* const kUnknown = "not a Cylc 8 setting that tock knows";

const std::set<std::string> kTaskTemplates = {"event",  "workflow", "id",
                                              "point",  "name",     "submit_num",
                                              "job_id", "message",  "workflow_run_dir"};
const std::set<std::string> kWorkflowTemplates = {"event", "workflow", "message",
                                                  "workflow_run_dir"};
const std::set<std::string> kXTriggerTemplates = {
    "point", "name", "workflow", "id", "user_name", "workflow_run_dir", "workflow_share_dir",
    "debug"};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<bool> boolean(const std::string& v) {
    std::string l;
    for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "true" || l == "yes") return true;
    if (l == "false" || l == "no") return false;
    return std::nullopt;
}

// A value as a comment shows it: its first line, shortened.
static std::string shown(const std::string& v) {
    std::string first = v.substr(0, v.find('\n'));
    bool more = first.size() < v.size();
    if (first.size() > 60) {
        first = first.substr(0, 57);
        more = true;
    }
    return more ? first + " ..." : first;
}

Node text(const std::string& v) {
    return Node::str(v);
}

Node list_of(const std::vector<std::string>& items) {
    Node l = Node::list();
    for (const auto& i : items) l.push(Node::str(i));
    return l;
}

// One name, or a list when there are several.
Node one_or_list(const std::vector<std::string>& items) {
    return items.size() == 1 ? Node::str(items[0]) : list_of(items);
}

bool integer(const std::string& s) {
    const std::size_t sign = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    return s.size() > sign && s.find_first_not_of("0123456789", sign) == std::string::npos;
}

// Cylc's old template names, which Cylc 8 still fills, to tock's.
std::string modern_templates(std::string cmd) {
    const std::pair<const char*, const char*> renames[] = {
        {"%(suite)s", "%(workflow)s"},
        {"%(suite_name)s", "%(workflow)s"},
        {"%(workflow_name)s", "%(workflow)s"},
        {"%(suite_run_dir)s", "%(workflow_run_dir)s"},
        {"%(suite_share_dir)s", "%(workflow_share_dir)s"}};
    for (const auto& [from, to] : renames) {
        for (auto at = cmd.find(from); at != std::string::npos; at = cmd.find(from, at)) {
            cmd.replace(at, std::string(from).size(), to);
        }
    }
    return cmd;
}

// The first template tock does not fill, or "".
std::string unknown_template(const std::string& s, const std::set<std::string>& known) {
    // As tock reads templates: every %( opens one, which )s must close.
    for (auto at = s.find("%("); at != std::string::npos; at = s.find("%(", at + 2)) {
        const auto close = s.find(')', at);
        if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != 's') {
            return "'%(' without ')s'";
        }
        const std::string name = s.substr(at + 2, close - at - 2);
        if (!known.count(name)) return "%(" + name + ")s";
    }
    return "";
}

// Runtime headings may name several namespaces ([[a, b]]); commas inside
// a parameter's <...> do not split.
std::vector<std::string> namespace_names(const std::string& heading) {
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    for (char c : heading) {
        if (c == '<') ++depth;
        if (c == '>') --depth;
        if (c == ',' && depth == 0) {
            if (!trim(cur).empty()) out.push_back(trim(cur));
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (!trim(cur).empty()) out.push_back(trim(cur));
    return out;
}

void Notes::note(Node& at, const std::string& path, const Item& i, const std::string& why) {
    at.comment(fmt::format("not carried over: {}{} = {}: {}", path, i.key, shown(i.value), why));
    ++count;
}

void Notes::note_section(Node& at, const std::string& path, const Section& s,
                         const std::string& why) {
    at.comment(fmt::format("not carried over: {}[{}]: {}", path, s.name, why));
    ++count;
}

void Notes::unknown_subs(Node& at, const std::string& path, const Section& s,
                         const std::set<std::string>& known) {
    for (const auto& sub : s.subs) {
        if (!known.count(sub->name)) note_section(at, path, *sub, kUnknown);
    }
}

void Notes::handler(Node& notes, Node& handlers, const std::string& event, const std::string& path,
                    const Item& i, const std::set<std::string>& known) {
    std::vector<std::string> cmds;
    for (const auto& c : split_list(i.value)) {
        const std::string cmd = modern_templates(c);
        if (const std::string bad = unknown_template(cmd, known); !bad.empty()) {
            note(notes, path, i,
                 fmt::format("tock fills no template {} (it fills {})", bad,
                             fmt::join(known, ", ")));
            return;
        }
        cmds.push_back(cmd);
    }
    if (!cmds.empty()) handlers.set(event, one_or_list(cmds));
}

void Notes::boolean_into(Node& out, const std::string& key, const std::string& path,
                         const Item& i) {
    if (auto b = boolean(i.value)) {
        out.set(key, Node::plain(*b ? "true" : "false"));
    } else {
        note(out, path, i, "not True or False");
    }
}

void Notes::meta(const Section& s, Node& out, const std::string& path) {
    for (const auto& i : s.items) out.set(i.key, text(i.value));
    for (const auto& sub : s.subs) note_section(out, path, *sub, "tock's meta is flat");
}

}  // namespace tock::cylc::parts
