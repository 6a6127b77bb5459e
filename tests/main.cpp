// The test runner. `tock_tests --rpc-peer ENDPOINT` instead runs an RPC server
// in this process, for tests that need a peer they can kill.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>

#include "tests/helpers.hpp"

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--rpc-peer") == 0)
        return tock::test::run_rpc_peer(argv[2]);
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
