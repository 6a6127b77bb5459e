// tock-trigger-port_open: port_open(host=HOST, port=PORT[, every=PT1S]) is
// satisfied once a TCP connection to HOST:PORT succeeds (HOST defaults to
// localhost). Results: host, port. Written with the plugin SDK,
// triggers/plugin.hpp (docs/plugins.md).
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "triggers/plugin.hpp"

using namespace tock::plugin;

// Whether a connection opens. connect() gives up after a second (Linux
// bounds it by SO_SNDTIMEO): a host that drops packets would otherwise hold
// the plugin, and its answers to the scheduler's pings, for minutes.
static bool connects(const std::string& host, const std::string& port) {
    addrinfo hints{}, *found = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return false;
    bool ok = false;
    for (addrinfo* a = found; a && !ok; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        const timeval limit{.tv_sec = 1, .tv_usec = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        ok = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return ok;
}

int main() {
    return Plugin("port_open")
        .poll_every(std::chrono::seconds(1))
        .serve("port_open",
               [](const Watch& w) {
                   const std::string host = w.arg("host", 0, "localhost"), port = w.arg("port", 1);
                   const auto every = parse_duration(w.arg("every", 2, "PT1S"));
                   const int n = std::atoi(port.c_str());
                   if (n < 1 || n > 65535 || std::to_string(n) != port)
                       return Outcome::never("port_open: port=" + port + " is not a port number");
                   if (!every) return Outcome::never("port_open: every= is not a duration");
                   if (connects(host, port)) return Outcome::yes({{"host", host}, {"port", port}});
                   return Outcome::not_yet(*every);
               })
        .run();
}
