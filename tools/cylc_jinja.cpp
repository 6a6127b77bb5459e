#include "tools/cylc_jinja.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tock::cylc {

namespace {

// The renderer. Its answer is one JSON object: {"text": ...} or
// {"error": KIND, "message": ..., "line": N or null, "file": ... or null}.
const char* const kRenderer = R"~(
import ast, json, os, sys, traceback
sys.dont_write_bytecode = True  # no __pycache__ left in the workflow's lib/python
req = json.load(sys.stdin)
def answer(**kw):
    json.dump(kw, sys.stdout)
    sys.exit(0)
values = {}
for name, text in req["vars"]:
    try:
        values[name] = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        answer(error="literal", message=name + "=" + text)
try:
    import jinja2
except ImportError:
    answer(error="nojinja", message=sys.executable)
class Stop(Exception):
    pass
def _raise(message):
    raise Stop(message)
def _assert(condition, message):
    if not condition:
        raise Stop(message)
    return ""
class PythonModules(jinja2.BaseLoader):
    # {% from "module" import f %} (or "__python__.module") imports a Python
    # module, from the workflow's lib/python first, as Cylc 8 allows.
    class Module:
        globals = {}
        is_up_to_date = True
        def __init__(self, module):
            self.module = module
        def _get_default_module(self, ctx=None):
            return self.module
        def make_module(self, *args, **kwargs):
            return self.module
    def load(self, environment, name, globals=None):
        import importlib
        lib = os.path.join(os.path.abspath(req["dir"] or "."), "lib", "python")
        if lib not in sys.path:
            sys.path.insert(0, lib)
        module = name[len("__python__."):] if name.startswith("__python__.") else name
        try:
            return PythonModules.Module(importlib.import_module(module))
        except ImportError:
            raise jinja2.TemplateNotFound(name)
env = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(req["dir"] or "."), PythonModules()]),
    undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
env.globals.update({"raise": _raise, "assert": _assert, "environ": dict(os.environ)})
# Cylc's own filters, and the workflow's: Jinja2Filters/NAME.py (or under
# lib/) defines the filter NAME, and likewise Jinja2Tests, Jinja2Globals.
def pad(value, length, fillchar=" "):
    return str(value).rjust(int(length), str(fillchar))
def strftime(point, strftime_str, strptime_str=None):
    from metomi.isodatetime.parsers import TimePointParser
    if strptime_str:
        return TimePointParser().strptime(point, strptime_str).strftime(strftime_str)
    return TimePointParser().parse(point).strftime(strftime_str)
def duration_as(duration, units):
    from metomi.isodatetime.parsers import DurationParser
    seconds = DurationParser().parse(duration).get_seconds()
    for names, size in ((("s", "sec", "second", "seconds"), 1), (("m", "min", "minute", "minutes"), 60),
                        (("h", "hr", "hour", "hours"), 3600), (("d", "day", "days"), 86400),
                        (("w", "week", "weeks"), 604800)):
        if units.lower() in names:
            return seconds / size
    raise Stop("duration_as: unknown units " + repr(units))
env.filters.update({"pad": pad, "strftime": strftime, "duration_as": duration_as})
import importlib.util
for kind, table in (("Jinja2Filters", env.filters), ("Jinja2Tests", env.tests),
                    ("Jinja2Globals", env.globals)):
    for base in (req["dir"] or ".", os.path.join(req["dir"] or ".", "lib")):
        folder = os.path.join(base, kind)
        if not os.path.isdir(folder):
            continue
        for file in sorted(os.listdir(folder)):
            if not file.endswith(".py") or file.startswith("_"):
                continue
            name, path = file[:-3], os.path.join(folder, file)
            try:
                spec = importlib.util.spec_from_file_location(kind + "." + name, path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            except Exception as e:
                answer(error="jinja", message=path + ": " + type(e).__name__ + ": " + str(e))
            if hasattr(module, name):
                table[name] = getattr(module, name)
values.setdefault("CYLC_VERSION", "8")
values.setdefault("CYLC_TEMPLATE_VARS", dict(values))
try:
    text = env.from_string(req["template"]).render(values)
except jinja2.TemplateSyntaxError as e:
    answer(error="jinja", message="Jinja2 syntax: " + str(e.message), line=e.lineno,
           file=e.filename if e.filename and e.filename != "<template>" else None)
except Exception as e:
    line, file = None, None
    for frame, lineno in traceback.walk_tb(e.__traceback__):
        name = frame.f_code.co_filename
        if name == "<template>":
            line, file = lineno, None
        elif req["dir"] and name.startswith(os.path.abspath(req["dir"])):
            line, file = lineno, name
    kind = "raise()" if isinstance(e, Stop) else type(e).__name__
    answer(error="jinja", message="Jinja2 " + kind + ": " + str(e), line=line, file=file)
answer(text=text)
)~";

std::string run_python(const std::string& python, const std::string& input, int& status) {
    char path[] = "/tmp/tock-import-XXXXXX";
    const int in_fd = mkstemp(path);
    if (in_fd < 0) throw ReadError(fmt::format("tock import: mkstemp: {}", std::strerror(errno)));
    unlink(path);
    for (std::size_t done = 0; done < input.size();) {
        const ssize_t n = write(in_fd, input.data() + done, input.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            close(in_fd);
            throw ReadError(
                fmt::format("tock import: writing the template: {}", std::strerror(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
    lseek(in_fd, 0, SEEK_SET);
    int out[2];
    if (pipe(out) != 0) {
        close(in_fd);
        throw ReadError(fmt::format("tock import: pipe: {}", std::strerror(errno)));
    }
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(in_fd, 0);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        close(in_fd);
        execl(python.c_str(), python.c_str(), "-c", kRenderer, static_cast<char*>(nullptr));
        _exit(127);
    }
    close(in_fd);
    close(out[1]);
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return text;
}

std::string install_hint(const std::string& python) {
    return fmt::format(
        "a #!jinja2 workflow needs Python's Jinja2, and {} has none: as root, run: apt-get "
        "install python3-jinja2",
        python);
}

}  // namespace

std::vector<std::string> render_jinja2(const std::string& text, const std::vector<Loc>& origin,
                                       const std::string& dir,
                                       const std::vector<std::pair<std::string, std::string>>& vars,
                                       const std::string& python) {
    const std::string& file = origin.empty() ? std::string("flow.cylc") : origin.front().file;
    nlohmann::json req = {{"template", text}, {"dir", dir}, {"vars", nlohmann::json::array()}};
    for (const auto& [k, v] : vars) req["vars"].push_back({k, v});
    int status = 0;
    const std::string out = run_python(python, req.dump(), status);
    if (status == 127 && out.empty()) {
        throw ReadError(
            fmt::format("{}: error: cannot run {}: {}", file, python, install_hint(python)));
    }
    nlohmann::json res;
    try {
        res = nlohmann::json::parse(out);
    } catch (const std::exception&) {
        throw ReadError(fmt::format("{}: error: rendering Jinja2 with {} failed (exit status {})",
                                    file, python, status));
    }
    if (res.contains("text")) {
        std::vector<std::string> lines;
        std::istringstream in(res["text"].get<std::string>());
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        return lines;
    }
    const std::string kind = res.value("error", "");
    const std::string message = res.value("message", "");
    if (kind == "nojinja")
        throw ReadError(fmt::format("{}: error: {}", file, install_hint(python)));
    if (kind == "literal") {
        throw ReadError(fmt::format(
            "tock import: --set {}: the value is not a Python literal (a number, a quoted "
            "string, True, False, None, a list ...): write a string as --set 'NAME=\"text\"'",
            message));
    }
    std::string where = file;
    if (res.contains("line") && res["line"].is_number_integer()) {
        const int line = res["line"].get<int>();
        if (res.contains("file") && res["file"].is_string()) {
            where = fmt::format("{}:{}", res["file"].get<std::string>(), line);
        } else if (line >= 1 && static_cast<std::size_t>(line) <= origin.size()) {
            where = origin[static_cast<std::size_t>(line - 1)].str();
        }
    }
    throw ReadError(fmt::format("{}: error: {}", where, message));
}

}  // namespace tock::cylc
