// Rendering a #!jinja2 flow.cylc as Cylc does, through Debian's
// python3-jinja2: the template on the child's stdin (as JSON, with its
// variables), the rendered text or the error on its stdout. Variables are
// Python literals, as `cylc play -s` reads them; undefined variables are
// errors (StrictUndefined), and the globals raise(), assert() and environ
// are Cylc's.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tools/cylc_reader.hpp"

namespace tock::cylc {

// The rendered lines. origin[i] is where line i+1 of the template came
// from (after %include), for the file:line of a Jinja2 error. Throws
// ReadError: python or Jinja2 missing (with how to install it), a
// variable that is not a Python literal, or an error in the template.
std::vector<std::string> render_jinja2(const std::string& text, const std::vector<Loc>& origin,
                                       const std::string& dir,
                                       const std::vector<std::pair<std::string, std::string>>& vars,
                                       const std::string& python);

}  // namespace tock::cylc
