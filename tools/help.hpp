// `tock help [TOPIC]`: the reference a user reads at the terminal.
#pragma once

#include <string>

namespace tock::help {

// Print the help for `topic` ("" for the overview); false if there is none.
bool print(const std::string& topic);

}  // namespace tock::help
