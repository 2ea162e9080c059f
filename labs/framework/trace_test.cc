// Tests for the payload summaries in traces (trace.h): SummarizeWireBytes
// renders real protobuf messages field by field, nested messages, long text,
// and non-protobuf bytes; the network records a summary for every send (an
// error status for failed replies) without changing the run's digest.
#include "labs/framework/trace.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "labs/framework/network.h"
#include "labs/framework/simulator.h"
#include "labs/framework/testing.pb.h"

namespace auroralab {
namespace {

using ::auroralab::testing::EchoReply;
using ::auroralab::testing::EchoRequest;
using ::testing::HasSubstr;

TEST(SummarizeWireBytes, ShowsFieldNumbersAndValues) {
  EchoReply reply;
  reply.set_text("hello");
  reply.set_served_by_incarnation(7);
  EXPECT_EQ(SummarizeWireBytes(reply.SerializeAsString()), R"(1:"hello" 2:7)");
  EXPECT_EQ(SummarizeWireBytes(EchoReply().SerializeAsString()), "");
}

TEST(SummarizeWireBytes, NestsMessagesAndShortensText) {
  EchoRequest inner;
  inner.set_padding(std::string("\x01\x02\x03", 3));  // not text, not a message
  EchoRequest outer;
  outer.set_text(std::string(30, 'k'));
  outer.set_padding(inner.SerializeAsString());  // bytes that parse as a message
  EXPECT_EQ(SummarizeWireBytes(outer.SerializeAsString()),
            R"(1:"kkkkkkkkkkkkkkkkkkkkkkkk..." 2:{2:<3 bytes>})");
}

TEST(SummarizeWireBytes, CutsLongSummariesAndNamesJunk) {
  EchoRequest request;
  request.set_text("abcdefghij");
  const std::string summary = SummarizeWireBytes(request.SerializeAsString(), 6);
  EXPECT_EQ(summary, R"(1:"abc...)");
  // A truncated varint is not a message.
  EXPECT_EQ(SummarizeWireBytes("\x08\xff"), "<2 bytes>");
  // Field number 0 does not exist.
  EXPECT_EQ(SummarizeWireBytes(std::string("\x00\x01", 2)), "<2 bytes>");
}

// Sends `count` packets through a network whose trace keeps events or not.
uint64_t DigestOfRun(bool keep_events, std::vector<TraceEvent>* events) {
  Simulator sim(/*seed=*/3);
  sim.trace().set_keep_events(keep_events);
  Network net(sim, NetworkConfig());
  net.AddNode(0, 0);
  net.AddNode(1, 1);
  net.set_deliver([](Packet) {});
  EchoRequest request;
  request.set_text("ping");
  Packet p;
  p.from = 0;
  p.to = 1;
  p.call_id = 1;
  p.method = InternMethod("Test.Echo");
  p.body = request.SerializeAsString();
  net.Send(std::move(p));
  Packet failed;
  failed.from = 1;
  failed.to = 0;
  failed.call_id = 1;
  failed.kind = PacketKind::kReply;
  failed.method = InternMethod("Test.Echo");
  failed.status_code = static_cast<int>(absl::StatusCode::kUnavailable);
  failed.status_message = "no quorum";
  net.Send(std::move(failed));
  sim.RunFor(Seconds(1));
  if (events != nullptr) *events = sim.trace().events();
  return sim.trace().digest();
}

TEST(TracePayload, SendsCarryASummaryThatTheDigestIgnores) {
  std::vector<TraceEvent> events;
  const uint64_t kept = DigestOfRun(true, &events);
  EXPECT_EQ(kept, DigestOfRun(false, nullptr));
  std::vector<std::string> payloads;
  for (const TraceEvent& e : events) {
    if (e.kind == TraceKind::kSend) payloads.push_back(e.payload);
    if (e.kind == TraceKind::kDeliver) {
      EXPECT_EQ(e.payload, "");  // the send has it
    }
  }
  EXPECT_THAT(payloads, ::testing::ElementsAre(R"(1:"ping")", "UNAVAILABLE: no quorum"));

  Trace trace;
  trace.Record(10, TraceKind::kSend, 0, 1, "Test.Echo", 1);
  trace.SetLastPayload(R"(1:"ping")");
  const std::string path = ::testing::TempDir() + "/payload.jsonl";
  ASSERT_TRUE(trace.WriteJsonLines(path).ok());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_THAT(line, HasSubstr(R"("payload":"1:\"ping\"","detail":"Test.Echo")"));
}

}  // namespace
}  // namespace auroralab
