// HOST:PORT flags (--listen) as the subcommands take them.
#pragma once

#include <string>

namespace ferry::cli {

// Splits "127.0.0.1:8080" (the port may be 0: any free one). False on anything else.
bool split_listen(const std::string& listen, std::string& host, int& port);

}  // namespace ferry::cli
