// `tock ui`: a web page that shows every workflow live and acts on them
// (docs/ui.md).
#pragma once

#include <string>

namespace tock::cmd {

struct UiOptions {
    std::string host = "127.0.0.1";
    int port = 8950;    // 0: a free port
    std::string token;  // "" = a new random one
};
int ui(const UiOptions& o);

}  // namespace tock::cmd
