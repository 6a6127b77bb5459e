// What tools/cylc_map.cpp (the workflow-wide sections) and
// tools/cylc_map_runtime.cpp ([runtime]) share: the reasons that recur,
// small value helpers, and Notes, which writes "# not carried over"
// comments and counts them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/cylc_reader.hpp"
#include "tools/yaml_out.hpp"

namespace tock::cylc::parts {

using yout::Node;

// Why, for settings that recur.
extern const char* const kMail;
extern const char* const kPlatform;
extern const char* const kDirectives;
extern const char* const kPolling;
extern const char* const kCylc7;
extern const char* const kUnknown;

// The %(...)s templates tock fills: task and workflow event handlers,
// xtrigger arguments.
extern const std::set<std::string> kTaskTemplates;
extern const std::set<std::string> kWorkflowTemplates;
extern const std::set<std::string> kXTriggerTemplates;

std::string trim(const std::string& s);
std::optional<bool> boolean(const std::string& v);  // Cylc's True/False
Node text(const std::string& v);
Node list_of(const std::vector<std::string>& items);
Node one_or_list(const std::vector<std::string>& items);  // a name, or a list of several
bool integer(const std::string& s);
// Cylc's old template names (%(suite)s ...), which Cylc 8 still fills, as tock's.
std::string modern_templates(std::string cmd);
// The first template of s not in known ("%(name)s"), or an unterminated
// one, or "".
std::string unknown_template(const std::string& s, const std::set<std::string>& known);
// The names of a runtime heading ([[a, b]]; commas inside <...> do not split).
std::vector<std::string> namespace_names(const std::string& heading);

class Notes {
  public:
    int count = 0;

    // "# not carried over: PATHkey = value: why" at this place.
    void note(Node& at, const std::string& path, const Item& i, const std::string& why);
    // "# not carried over: PATH[name]: why", for a whole section.
    void note_section(Node& at, const std::string& path, const Section& s, const std::string& why);
    // A note for each sub-section of s not in known.
    void unknown_subs(Node& at, const std::string& path, const Section& s,
                      const std::set<std::string>& known);
    // One handler setting (a list of commands) as handlers[event], or a note
    // if a command holds a template tock does not fill.
    void handler(Node& notes, Node& handlers, const std::string& event, const std::string& path,
                 const Item& i, const std::set<std::string>& known);
    void boolean_into(Node& out, const std::string& key, const std::string& path, const Item& i);
    // [meta] and [[[meta]]]: a free mapping, copied.
    void meta(const Section& s, Node& out, const std::string& path);
};

// [runtime]: the namespaces, and what the workflow-wide sections ask of
// them (a family's tasks, for special tasks).
class Runtime {
  public:
    // parameters: [task parameters], whose %(NAME)s environment values use.
    Runtime(const Section* runtime, const Section* parameters, Notes& notes);
    void write(Node& out);  // runtime: every namespace
    // A family's tasks (namespaces no one inherits), or the name itself.
    std::vector<std::string> tasks_of(const std::string& name) const;

  private:
    bool inherits(const std::string& n, const std::string& ancestor, int depth = 0) const;
    const Item* inherited(const std::string& name, const std::string& section,
                          const std::string& key, int depth = 0) const;
    void namespace_(const Section& s, Node& out, const std::string& path);
    bool job_item(Node& out, const std::string& path, const Item& i);
    void cylc_commands(Node& out, const std::string& where, const std::string& text);
    void task_events(const Section& ev, Node& ns, const std::string& path);
    void simulation(const Section& s, Node& ns, const std::string& path);

    std::string parameter_values(const std::string& value) const;

    const Section* section_;
    std::set<std::string> parameters_;
    Notes& n_;
    std::map<std::string, std::vector<const Section*>> sections_;
    std::map<std::string, std::vector<std::string>> parents_;
    std::string name_;
};

}  // namespace tock::cylc::parts
