// `tock validate`, `tock list`, `tock graph`: reading a workflow file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tock::cmd {

using Vars = std::map<std::string, std::string>;

// --set KEY=VALUE (repeatable) and --set-file FILE (KEY=VALUE lines; blank
// lines and # comments skipped). A later value of a key wins, and --set
// wins over --set-file.
struct VarOptions {
    std::vector<std::string> sets, files;
};
// The values, or nullopt with `why` (a malformed entry, an unreadable file).
std::optional<Vars> read_vars(const VarOptions& o, std::string& why);

int validate(const std::string& file, const Vars& vars = {});
int list(const std::string& file, bool tree, const Vars& vars = {});

struct GraphOptions {
    std::string file;
    std::optional<std::string> from, to;
    std::string format = "text";        // text, dot, svg
    std::optional<std::string> output;  // svg: the file to write (default NAME.svg)
    Vars vars;                          // --set
};
int graph(const GraphOptions& o);

}  // namespace tock::cmd
