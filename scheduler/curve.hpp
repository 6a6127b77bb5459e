// CurveZMQ for tcp:// endpoints: keypairs, and the ZAP handler that decides
// which clients a CurveZMQ server accepts.
//
// ZeroMQ lets in any CurveZMQ client that knows the server key when a
// socket has a ZAP domain but no handler is bound in its context (not yet,
// or not any more). tock binds the handler before any CurveZMQ socket
// (tools/play.cpp), and also asks libzmq to refuse in that case
// (ZMQ_ZAP_ENFORCE_DOMAIN, a draft option: set where the library has it).
//
// A server socket with CurveZMQ (Server::bind_curve, or curve_server on any
// socket) needs a client to know the server's public key to connect at all;
// a client with no key, or the wrong server key, fails the handshake. Which
// client keys are let in is the ZAP handler's decision: ZeroMQ asks it for
// every new connection on a socket with a ZAP domain, before any message of
// that connection is delivered, and drops the connection unless it answers
// 200. Without a ZAP handler ZeroMQ would let in any client that knows the
// server key.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>

#include "scheduler/task.hpp"
#include "scheduler/zsocket.hpp"

namespace tock {

struct CurveKeys {
    std::string public_key, secret_key;  // z85 text, 40 characters each
};
CurveKeys make_curve_keys();
// The public key of a z85 secret key.
std::string curve_public_of(const std::string& secret_z85);

// Refuse connections on `s` while no ZAP handler answers (if libzmq can).
void enforce_zap(zmq::socket_t& s) noexcept;

// The run's keys for tcp:// endpoints between components placed on other
// hosts (the bus, virtual time, placement control). Set once per process
// before any such socket, by the scheduler and by `tock component`.
struct TcpCurve {
    std::string server_secret, server_public;  // the run's server keypair
    std::string client_public, client_secret;  // the run's client keypair
};
void set_tcp_curve(TcpCurve keys);
// Call before binding (server) or connecting `endpoint` on `s`: a tcp://
// endpoint becomes a CurveZMQ server with ZAP domain `tock`, or a client
// with the run's client keys; other endpoints are left as they are. A
// process that never set the keys (the runtime's own tests) leaves tcp://
// in the clear; `tock play` and `tock component` always set them.
void secure_tcp(zmq::socket_t& s, const std::string& endpoint, bool server);

// The ZAP handler of `loop`'s ZeroMQ context (one per context): lets in
// CurveZMQ clients whose public key is in `allowed` (z85), with that key as
// their User-Id, and connections without a security mechanism (NULL: local
// ipc:// endpoints, protected by their directory's permissions). Counts
// what it refuses in `refused`. Runs until cancelled.
class ZapHandler {
  public:
    ZapHandler(Loop& loop, std::set<std::string> allowed);
    Task<void> run();
    // Read by components in other threads of the process (atomic).
    std::uint64_t refused() const noexcept { return refused_; }
    std::uint64_t accepted() const noexcept { return accepted_; }

  private:
    ZSocket sock_;
    std::set<std::string> allowed_;
    std::atomic<std::uint64_t> refused_ = 0, accepted_ = 0;
};

}  // namespace tock
