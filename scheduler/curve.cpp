#include "scheduler/curve.hpp"

#include <zmq.h>

#include <optional>
#include <stdexcept>

namespace tock {

CurveKeys make_curve_keys() {
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0)
        throw std::runtime_error("this libzmq has no CurveZMQ (built without libsodium)");
    return {pub, sec};
}

std::string curve_public_of(const std::string& secret_z85) {
    char pub[41];
    if (secret_z85.size() != 40 || zmq_curve_public(pub, secret_z85.c_str()) != 0)
        throw std::runtime_error("not a CurveZMQ secret key");
    return pub;
}

void enforce_zap(zmq::socket_t& s) noexcept {
    constexpr int kZapEnforceDomain = 93;  // ZMQ_ZAP_ENFORCE_DOMAIN (draft API)
    const int on = 1;
    zmq_setsockopt(s.handle(), kZapEnforceDomain, &on, sizeof on);
}

namespace {
std::optional<TcpCurve>& tcp_keys() {
    static std::optional<TcpCurve> keys;
    return keys;
}
}  // namespace

void set_tcp_curve(TcpCurve keys) {
    tcp_keys() = std::move(keys);
}

void secure_tcp(zmq::socket_t& s, const std::string& endpoint, bool server) {
    if (endpoint.rfind("tcp://", 0) != 0) return;
    const auto& keys = tcp_keys();
    if (!keys) return;  // the runtime's own tests; tock sets the keys at start
    if (endpoint.find('[') != std::string::npos || endpoint.rfind("tcp://*", 0) == 0)
        s.set(zmq::sockopt::ipv6, 1);
    if (server) {
        s.set(zmq::sockopt::curve_server, 1);
        s.set(zmq::sockopt::curve_secretkey, keys->server_secret);
        s.set(zmq::sockopt::zap_domain, "tock");
        enforce_zap(s);
    } else {
        s.set(zmq::sockopt::curve_serverkey, keys->server_public);
        s.set(zmq::sockopt::curve_publickey, keys->client_public);
        s.set(zmq::sockopt::curve_secretkey, keys->client_secret);
    }
}

ZapHandler::ZapHandler(Loop& loop, std::set<std::string> allowed)
    : sock_(loop, zmq::socket_type::rep), allowed_(std::move(allowed)) {
    sock_.bind("inproc://zeromq.zap.01");
}

Task<void> ZapHandler::run() {
    for (;;) {
        Multipart req = co_await sock_.recv();
        // version, request id, domain, address, identity, mechanism, credentials...
        std::string status = "400", text = "refused", user;
        if (req.size() >= 6 && req[0].to_string_view() == "1.0") {
            const std::string_view mechanism = req[5].to_string_view();
            if (mechanism == "NULL") {
                status = "200";
                text = "OK";
                user = "local";
            } else if (mechanism == "CURVE" && req.size() >= 7 && req[6].size() == 32) {
                char z85[41];
                zmq_z85_encode(z85, static_cast<const std::uint8_t*>(req[6].data()), 32);
                if (allowed_.count(z85)) {
                    status = "200";
                    text = "OK";
                    user = z85;
                }
            }
        }
        (status == "200" ? accepted_ : refused_)++;
        const std::string request_id = req.size() > 1 ? req[1].to_string() : "";
        co_await sock_.send(
            make_multipart(std::string("1.0"), request_id, status, text, user, std::string()));
    }
}

}  // namespace tock
