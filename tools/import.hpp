// tock import: a Cylc 8 flow.cylc to tock's workflow YAML.
#pragma once

#include <string>
#include <vector>

namespace tock::cmd {

struct ImportOptions {
    std::string flow;                    // the flow.cylc file
    std::string output;                  // -o FILE; "" = standard output
    std::vector<std::string> sets;       // --set KEY=VALUE (Jinja2 variables)
    std::vector<std::string> set_files;  // --set-file FILE: KEY=VALUE a line
    bool rendered = false;               // print the text as read (Jinja2 rendered), not YAML
};

// Exit status: 0 written; 1 nothing usable (no graph); 2 a file that cannot
// be read or parsed, or a bad --set.
int import_flow(const ImportOptions& opts);

}  // namespace tock::cmd
