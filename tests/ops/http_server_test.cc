#include "ops/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ops/metrics.h"

namespace ops {
namespace {

std::string Request(int port, const std::string& raw) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(write(fd, raw.data(), raw.size()), static_cast<ssize_t>(raw.size()));
  std::string out;
  char buf[1024];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST(HttpServerTest, RoutesExactAndPrefixPaths) {
  MetricsRegistry metrics;
  metrics.GetCounter("engaged_test_total", "A test counter.", {{"k", "v"}}).Inc(2);
  HttpServer server;
  server.Handle("/metrics", [&](std::string_view) {
    return HttpResponse{200, "text/plain", metrics.Serialize()};
  });
  server.Handle("/customers/", [](std::string_view path) {
    return HttpResponse{200, "application/json", std::string(path)};
  });
  ASSERT_TRUE(server.Start("127.0.0.1", 0).ok());
  const std::string m = Request(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_NE(m.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(m.find(R"(engaged_test_total{k="v"} 2)"), std::string::npos) << m;
  EXPECT_NE(
      Request(server.port(), "GET /customers/a%20b?x=1 HTTP/1.1\r\n\r\n").find("/customers/a%20b"),
      std::string::npos);
  EXPECT_NE(Request(server.port(), "GET /nope HTTP/1.1\r\n\r\n").find("404"), std::string::npos);
  EXPECT_NE(Request(server.port(), "POST /metrics HTTP/1.1\r\n\r\n").find("405"),
            std::string::npos);
  EXPECT_NE(Request(server.port(), "garbage\r\n\r\n").find("400"), std::string::npos);
  server.Stop();
}

TEST(HttpServerTest, ReportsAPortInUse) {
  HttpServer a;
  ASSERT_TRUE(a.Start("127.0.0.1", 0).ok());
  HttpServer b;
  const Status s = b.Start("127.0.0.1", a.port());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(HttpServer().Start("not-an-ip", 0).ok());
}

}  // namespace
}  // namespace ops
