// Tests for the RPC layer (rpc.h) running inside a World:
//   - typed round trips, handlers that answer later, handler errors, a
//     handler that replaces itself, requests parsed into recycled messages,
//     an old call outliving hundreds of newer ones, raw byte calls;
//   - DeadlineExceeded on a partition or a late reply, Unimplemented for an
//     unknown method, InvalidArgument for a request that does not parse (the
//     server keeps working), DataLoss for a reply that does not parse;
//   - `done` runs exactly once and never inside Call(), even with every
//     message duplicated;
//   - incarnations: a crashed server's delayed reply never arrives, a reply to
//     an old caller incarnation never reaches the new one (whose call ids
//     start over), requests in flight to a restarted node are dropped, and a
//     crashed caller's pending calls vanish without running their callbacks.
#include "labs/framework/rpc.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "labs/framework/node.h"
#include "labs/framework/testing.pb.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

using ::auroralab::testing::EchoReply;
using ::auroralab::testing::EchoRequest;

inline constexpr Method<EchoRequest, EchoReply> kEcho{"Test.Echo"};
inline constexpr Method<EchoRequest, EchoReply> kMissing{"Test.NoSuchMethod"};

// Echoes the request text back, with the serving incarnation; optionally
// after `reply_delay` (on a timer), or not at all (stashing the responder
// for the test to use).
struct ServerOptions {
  Duration reply_delay = 0;
  int* handled = nullptr;
  std::vector<RawResponder>* stash = nullptr;
};

class EchoServer : public Node {
 public:
  EchoServer(NodeContext& ctx, ServerOptions options) : Node(ctx), options_(options) {}

  void Start() override {
    ctx().rpc().Handle(kEcho, [this](const EchoRequest& request, Responder<EchoReply> out) {
      if (options_.handled != nullptr) ++*options_.handled;
      EchoReply reply;
      reply.set_text(request.text());
      reply.set_served_by_incarnation(ctx().incarnation());
      if (options_.reply_delay > 0) {
        ctx().SetTimer(options_.reply_delay, [out, reply] { out.Reply(reply); });
      } else {
        out.Reply(reply);
      }
    });
    if (options_.stash != nullptr) {
      ctx().rpc().HandleRaw(kEcho.name, [this](std::string_view, RawResponder out) {
        if (options_.handled != nullptr) ++*options_.handled;
        options_.stash->push_back(std::move(out));
      });
    }
  }

  NodeContext& context() { return ctx(); }

 private:
  ServerOptions options_;
};

// A node with no behaviour of its own; tests drive its context.
class Client : public Node {
 public:
  using Node::Node;
  NodeContext& context() { return ctx(); }
};

NodeFactory ServerFactory(ServerOptions options = {}) {
  return [options](NodeContext& ctx) { return std::make_unique<EchoServer>(ctx, options); };
}

// A node that only answers what `register_handlers` sets up on its endpoint.
NodeFactory Serving(std::function<void(RpcEndpoint&)> register_handlers) {
  return [register_handlers](NodeContext& ctx) {
    auto node = std::make_unique<Client>(ctx);
    register_handlers(ctx.rpc());
    return node;
  };
}

NodeFactory ClientFactory() {
  return [](NodeContext& ctx) { return std::make_unique<Client>(ctx); };
}

EchoRequest Echo(std::string text) {
  EchoRequest request;
  request.set_text(std::move(text));
  return request;
}

// Records every completion of one call.
struct Outcome {
  int calls = 0;
  Time at = -1;
  absl::StatusOr<EchoReply> reply = absl::UnknownError("not completed");
};

std::function<void(absl::StatusOr<EchoReply>)> Record(World& world, Outcome& outcome) {
  return [&world, &outcome](absl::StatusOr<EchoReply> reply) {
    ++outcome.calls;
    outcome.at = world.Now();
    outcome.reply = std::move(reply);
  };
}

int CountTrace(World& world, TraceKind kind, const std::string& detail) {
  int n = 0;
  for (const TraceEvent& e : world.trace().events()) n += e.kind == kind && e.detail == detail;
  return n;
}

WorldOptions FixedLatency(Duration latency) {
  WorldOptions options;
  options.network.base_latency = latency;
  options.network.jitter = 0;
  return options;
}

// ---------------------------------------------------------------------------
// Basic calls.

TEST(Rpc, RoundTripWithTypedMethod) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  Outcome outcome;
  rpc.Call(server, kEcho, Echo("hello"), Millis(100), Record(world, outcome));
  EXPECT_EQ(rpc.pending_calls(), 1u);
  world.RunFor(Seconds(1));
  ASSERT_EQ(outcome.calls, 1);
  ASSERT_TRUE(outcome.reply.ok()) << outcome.reply.status();
  EXPECT_EQ(outcome.reply->text(), "hello");
  EXPECT_EQ(outcome.reply->served_by_incarnation(), 1u);
  EXPECT_EQ(outcome.at, Millis(2));  // one latency each way
  EXPECT_EQ(rpc.pending_calls(), 0u);
}

TEST(Rpc, ManyConcurrentCallsGetTheirOwnReplies) {
  WorldOptions options;
  options.network.jitter = Millis(10);  // replies come back out of order
  World world(options);
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  std::vector<std::string> got(100);
  std::vector<int> completions(100, 0);
  std::vector<int> completion_order;
  for (int i = 0; i < 100; ++i) {
    rpc.Call(server, kEcho, Echo(std::to_string(i)), Seconds(1),
             [&, i](absl::StatusOr<EchoReply> reply) {
               ++completions[i];
               completion_order.push_back(i);
               got[i] = reply.ok() ? reply->text() : std::string(reply.status().message());
             });
  }
  world.RunFor(Seconds(2));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(completions[i], 1) << i;
    EXPECT_EQ(got[i], std::to_string(i));
  }
  EXPECT_FALSE(std::is_sorted(completion_order.begin(), completion_order.end()));
}

TEST(Rpc, HandlerCanReplyLaterAfterATimer) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory({.reply_delay = Millis(50)}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("later"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Millis(40));
  EXPECT_EQ(outcome.calls, 0);
  world.RunFor(Seconds(1));
  ASSERT_EQ(outcome.calls, 1);
  ASSERT_TRUE(outcome.reply.ok()) << outcome.reply.status();
  EXPECT_EQ(outcome.reply->text(), "later");
  EXPECT_EQ(outcome.at, Millis(52));
}

TEST(Rpc, ReplyAfterTheDeadlineIsIgnored) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory({.reply_delay = Millis(50)}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("slow"), Millis(20),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome.reply.status())) << outcome.reply.status();
  EXPECT_EQ(outcome.at, Millis(20));
  EXPECT_EQ(CountTrace(world, TraceKind::kLog, "late or duplicate reply ignored"), 1);
}

TEST(Rpc, PartitionedCallFailsWithDeadlineExceededAtTheTimeout) {
  World world(FixedLatency(Millis(1)));
  int handled = 0;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.network().Isolate(server);
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome.reply.status())) << outcome.reply.status();
  EXPECT_EQ(outcome.at, Millis(100));
}

TEST(Rpc, UnknownMethodGetsUnimplemented) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kMissing, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_EQ(outcome.reply.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(outcome.at, Millis(2));  // a real answer, not a timeout
}

TEST(Rpc, HandlerFailurePassesTheStatusToTheCaller) {
  World world(FixedLatency(Millis(1)));
  const NodeId server =
      world.AddNode("server", 0, Serving([](RpcEndpoint& rpc) {
                      rpc.Handle(kEcho, [](const EchoRequest& request, Responder<EchoReply> out) {
                        if (request.text() == "ok-failure") {
                          out.Fail(absl::OkStatus());  // a bug in the handler: made visible
                        } else {
                          out.Fail(absl::NotFoundError("no such key: " + request.text()));
                        }
                      });
                    }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  Outcome not_found;
  Outcome ok_failure;
  rpc.Call(server, kEcho, Echo("k1"), Millis(100), Record(world, not_found));
  rpc.Call(server, kEcho, Echo("ok-failure"), Millis(100), Record(world, ok_failure));
  world.RunFor(Seconds(1));
  EXPECT_EQ(not_found.calls, 1);
  EXPECT_EQ(not_found.reply.status(), absl::NotFoundError("no such key: k1"));
  EXPECT_EQ(ok_failure.calls, 1);
  EXPECT_EQ(ok_failure.reply.status().code(), absl::StatusCode::kInternal);
}

TEST(Rpc, ResponderKnowsTheCallerAndMethod) {
  World world(FixedLatency(Millis(1)));
  std::vector<RawResponder> stash;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.stash = &stash}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  [](absl::StatusOr<EchoReply>) {});
  world.RunFor(Millis(10));
  ASSERT_EQ(stash.size(), 1u);
  EXPECT_EQ(stash[0].caller(), client);
  EXPECT_EQ(stash[0].method(), "Test.Echo");
}

TEST(Rpc, HandleReplacesAnEarlierHandler) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.node<EchoServer>(server).context().rpc().Handle(
      kEcho, [](const EchoRequest&, Responder<EchoReply> out) {
        EchoReply reply;
        reply.set_text("replaced");
        out.Reply(reply);
      });
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  ASSERT_TRUE(outcome.reply.ok());
  EXPECT_EQ(outcome.reply->text(), "replaced");
}

TEST(Rpc, HandlerCanReplaceItselfWhileRunning) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode(
      "server", 0, Serving([](RpcEndpoint& rpc) {
        rpc.Handle(kEcho, [&rpc](const EchoRequest& request, Responder<EchoReply> out) {
          // Re-registering destroys this handler; it must still finish.
          rpc.Handle(kEcho, [](const EchoRequest& later, Responder<EchoReply> out2) {
            EchoReply reply;
            reply.set_text("second handler: " + later.text());
            out2.Reply(reply);
          });
          EchoReply reply;
          reply.set_text("first handler: " + request.text());
          out.Reply(reply);
        });
      }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  Outcome first;
  Outcome second;
  rpc.Call(server, kEcho, Echo("a"), Millis(100), Record(world, first));
  world.RunFor(Millis(10));
  rpc.Call(server, kEcho, Echo("b"), Millis(100), Record(world, second));
  world.RunFor(Millis(10));
  ASSERT_TRUE(first.reply.ok()) << first.reply.status();
  ASSERT_TRUE(second.reply.ok()) << second.reply.status();
  EXPECT_EQ(first.reply->text(), "first handler: a");
  EXPECT_EQ(second.reply->text(), "second handler: b");
}

TEST(Rpc, HandlerCanRegisterOtherMethodsWhileRunning) {
  // Registering new methods may grow the endpoint's handler table while
  // this handler runs; the running handler must not move.
  World world(FixedLatency(Millis(1)));
  int registered = 0;
  const NodeId server = world.AddNode(
      "server", 0, Serving([&registered](RpcEndpoint& rpc) {
        RpcEndpoint* endpoint = &rpc;
        int* count = &registered;  // two pointers: small enough to be stored inline
        endpoint->HandleRaw("Test.Grow", [endpoint, count](std::string_view, RawResponder out) {
          for (int i = 0; i < 50; ++i) {
            endpoint->HandleRaw("Test.Grow." + std::to_string(*count + i),
                                [](std::string_view, RawResponder) {});
          }
          *count += 50;  // reads this handler's captures after the growth
          out.Reply(std::to_string(*count));
        });
      }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    rpc.CallRaw(server, "Test.Grow", "", Millis(100), [&got](absl::StatusOr<std::string_view> r) {
      got.push_back(r.ok() ? std::string(*r) : r.status().ToString());
    });
    world.RunFor(Millis(10));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"50", "100"}));
}

TEST(Rpc, EmptyHandlerUnregistersAMethod) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.node<EchoServer>(server).context().rpc().HandleRaw(kEcho.name, nullptr);
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(outcome.reply.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(Rpc, EachRequestIsParsedFresh) {
  // Requests are parsed into recycled messages; nothing of one request may
  // show through in the next.
  World world(FixedLatency(Millis(1)));
  std::vector<std::pair<std::string, std::string>> seen;  // (text, padding)
  const NodeId server = world.AddNode(
      "server", 0, Serving([&seen](RpcEndpoint& rpc) {
        rpc.Handle(kEcho, [&seen](const EchoRequest& request, Responder<EchoReply> out) {
          seen.push_back({request.text(), request.padding()});
          out.Reply(EchoReply());
        });
      }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  EchoRequest big = Echo("big");
  big.set_padding(std::string(1000, 'p'));
  Outcome a;
  Outcome b;
  Outcome c;
  rpc.Call(server, kEcho, big, Millis(100), Record(world, a));
  world.RunFor(Millis(10));
  rpc.Call(server, kEcho, EchoRequest(), Millis(100), Record(world, b));
  world.RunFor(Millis(10));
  rpc.Call(server, kEcho, Echo("small"), Millis(100), Record(world, c));
  world.RunFor(Millis(10));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("big"), std::string(1000, 'p')));
  EXPECT_EQ(seen[1], std::make_pair(std::string(), std::string()));
  EXPECT_EQ(seen[2], std::make_pair(std::string("small"), std::string()));
}

TEST(Rpc, OldPendingCallSurvivesManyNewerOnes) {
  // Pending calls live in a ring indexed by call id that grows as needed; a
  // call left unanswered while hundreds of newer ones come and go keeps its
  // place, and every call completes exactly once with its own reply.
  World world(FixedLatency(Millis(1)));
  std::vector<RawResponder> stash;
  const NodeId slow = world.AddNode("slow", 0, ServerFactory({.stash = &stash}));
  const NodeId fast = world.AddNode("fast", 1, ServerFactory());
  const NodeId client = world.AddNode("client", 2, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  Outcome old_call;
  rpc.Call(slow, kEcho, Echo("old"), Seconds(100), Record(world, old_call));
  std::vector<Outcome> outcomes(300);
  for (int round = 0; round < 3; ++round) {
    for (int i = round * 100; i < (round + 1) * 100; ++i) {
      rpc.Call(fast, kEcho, Echo(std::to_string(i)), Seconds(1), Record(world, outcomes[i]));
    }
    world.RunFor(Millis(10));
  }
  EXPECT_EQ(rpc.pending_calls(), 1u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(outcomes[i].calls, 1) << i;
    ASSERT_TRUE(outcomes[i].reply.ok()) << i;
    EXPECT_EQ(outcomes[i].reply->text(), std::to_string(i));
  }
  ASSERT_EQ(stash.size(), 1u);
  EchoReply reply;
  reply.set_text("old, finally");
  Responder<EchoReply>(stash[0]).Reply(reply);
  world.RunFor(Millis(10));
  EXPECT_EQ(old_call.calls, 1);
  ASSERT_TRUE(old_call.reply.ok()) << old_call.reply.status();
  EXPECT_EQ(old_call.reply->text(), "old, finally");
  EXPECT_EQ(rpc.pending_calls(), 0u);
}

TEST(Rpc, RawCallsCarryBytesExactly) {
  World world(FixedLatency(Millis(1)));
  const NodeId server =
      world.AddNode("server", 0, Serving([](RpcEndpoint& rpc) {
                      rpc.HandleRaw("Raw.Reverse", [](std::string_view body, RawResponder out) {
                        out.Reply(std::string(body.rbegin(), body.rend()));
                      });
                    }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  const std::string bytes("a\0b\xff", 4);
  std::string got = "not called";
  rpc.CallRaw(server, "Raw.Reverse", bytes, Millis(100),
              [&got](absl::StatusOr<std::string_view> reply) {
                got = reply.ok() ? std::string(*reply) : reply.status().ToString();
              });
  world.RunFor(Millis(10));
  EXPECT_EQ(got, std::string("\xff"
                             "b\0a",
                             4));
  EXPECT_EQ(world.network().stats().by_method.at("Raw.Reverse").messages, 2u);
}

// ---------------------------------------------------------------------------
// Malformed bytes never crash a node.

TEST(Rpc, MalformedRequestGetsInvalidArgumentAndTheServerKeepsWorking) {
  World world(FixedLatency(Millis(1)));
  int handled = 0;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  std::vector<absl::Status> garbage_results;
  // A truncated varint tag, and a length-delimited field longer than the data.
  for (std::string garbage : {std::string("\xff\xff\xff\xff"), std::string("\x0a\x05"
                                                                           "ab")}) {
    rpc.CallRaw(
        server, kEcho.name, garbage, Millis(100),
        [&](absl::StatusOr<std::string_view> reply) { garbage_results.push_back(reply.status()); });
  }
  world.RunFor(Seconds(1));
  ASSERT_EQ(garbage_results.size(), 2u);
  for (const absl::Status& s : garbage_results) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  EXPECT_EQ(handled, 0);  // the handler never saw the garbage
  EXPECT_TRUE(world.IsUp(server));

  Outcome outcome;
  rpc.Call(server, kEcho, Echo("still here"), Millis(100), Record(world, outcome));
  world.RunFor(Seconds(1));
  ASSERT_TRUE(outcome.reply.ok()) << outcome.reply.status();
  EXPECT_EQ(outcome.reply->text(), "still here");
  EXPECT_EQ(handled, 1);
}

TEST(Rpc, MalformedReplyCompletesTheCallWithDataLoss) {
  World world(FixedLatency(Millis(1)));
  const NodeId server =
      world.AddNode("server", 0, Serving([](RpcEndpoint& rpc) {
                      rpc.HandleRaw(kEcho.name, [](std::string_view, RawResponder out) {
                        out.Reply(
                            std::string("\x0a\x05"
                                        "ab"));
                      });
                    }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_EQ(outcome.reply.status().code(), absl::StatusCode::kDataLoss) << outcome.reply.status();
  EXPECT_TRUE(world.IsUp(client));
}

// ---------------------------------------------------------------------------
// Exactly once, never inside Call().

TEST(Rpc, DuplicateRepliesCompleteTheCallExactlyOnce) {
  WorldOptions options;
  options.network.duplicate_probability = 1;
  World world(options);
  int handled = 0;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  std::vector<Outcome> outcomes(20);
  for (Outcome& o : outcomes) rpc.Call(server, kEcho, Echo("dup"), Seconds(1), Record(world, o));
  world.RunFor(Seconds(2));
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.calls, 1);
    EXPECT_TRUE(o.reply.ok());
  }
  // Every request arrived twice, each answer was sent twice: three of the
  // four replies to each call are ignored.
  EXPECT_EQ(handled, 40);
  EXPECT_EQ(CountTrace(world, TraceKind::kLog, "late or duplicate reply ignored"), 60);
  EXPECT_EQ(rpc.pending_calls(), 0u);
}

TEST(Rpc, SecondReplyFromAHandlerIsIgnored) {
  World world(FixedLatency(Millis(1)));
  const NodeId server =
      world.AddNode("server", 0, Serving([](RpcEndpoint& rpc) {
                      rpc.Handle(kEcho, [](const EchoRequest&, Responder<EchoReply> out) {
                        EchoReply first;
                        first.set_text("first");
                        out.Reply(first);
                        Responder<EchoReply> copy = out;
                        EchoReply second;
                        second.set_text("second");
                        copy.Reply(second);
                        copy.Fail(absl::AbortedError("third"));
                      });
                    }));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.RunFor(Seconds(1));
  EXPECT_EQ(outcome.calls, 1);
  ASSERT_TRUE(outcome.reply.ok());
  EXPECT_EQ(outcome.reply->text(), "first");
  EXPECT_EQ(world.network().stats().by_link.at({server, client}).messages, 1u);
  EXPECT_EQ(CountTrace(world, TraceKind::kLog, "second reply to Test.Echo ignored"), 2);
}

TEST(Rpc, DoneNeverRunsInsideCall) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.network().BlockLink(client, server);
  RpcEndpoint& server_rpc = world.node<EchoServer>(server).context().rpc();
  RpcEndpoint& client_rpc = world.node<Client>(client).context().rpc();
  bool in_call = false;
  int completions = 0;
  int completions_inside_call = 0;
  auto done = [&](absl::StatusOr<EchoReply>) {
    ++completions;
    completions_inside_call += in_call;
  };
  auto call = [&](RpcEndpoint& rpc, NodeId to, Duration timeout) {
    in_call = true;
    rpc.Call(to, kEcho, Echo("x"), timeout, done);
    in_call = false;
  };
  call(client_rpc, server, Millis(10));  // partitioned
  call(client_rpc, 99, Millis(10));      // no such node
  call(client_rpc, server, 0);           // zero timeout
  call(client_rpc, server, -5);          // negative timeout
  call(server_rpc, server, Millis(10));  // a call to itself
  call(client_rpc, client, Millis(10));  // to itself, unimplemented
  in_call = true;
  client_rpc.CallRaw(server, kEcho.name, "", 0, [&](absl::StatusOr<std::string_view>) {
    ++completions;
    completions_inside_call += in_call;
  });
  in_call = false;
  EXPECT_EQ(completions, 0);
  world.RunFor(Seconds(1));
  EXPECT_EQ(completions, 7);
  EXPECT_EQ(completions_inside_call, 0);
}

// ---------------------------------------------------------------------------
// Incarnations and zombies.

TEST(Rpc, ZombieReplyFromACrashedServerNeverArrives) {
  World world(FixedLatency(Millis(1)));
  int handled = 0;
  const NodeId server =
      world.AddNode("server", 0, ServerFactory({.reply_delay = Millis(50), .handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(200),
                                                  Record(world, outcome));
  world.At(Millis(10), "crash server", [&] { world.Crash(server); });
  world.At(Millis(20), "restart server", [&] { world.Restart(server); });
  world.RunFor(Seconds(1));
  EXPECT_EQ(handled, 1);  // the request was received before the crash
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome.reply.status())) << outcome.reply.status();
  EXPECT_EQ(outcome.at, Millis(200));
  EXPECT_EQ(world.network().stats().sent_by_node[server].messages, 0u);
}

TEST(Rpc, ResponderOfACrashedIncarnationSendsNothing) {
  World world(FixedLatency(Millis(1)));
  std::vector<RawResponder> stash;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.stash = &stash}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(200),
                                                  Record(world, outcome));
  world.RunFor(Millis(10));
  ASSERT_EQ(stash.size(), 1u);
  world.Crash(server);
  world.Restart(server);
  EchoReply reply;
  reply.set_text("from beyond");
  stash[0].Reply(reply.SerializeAsString());  // the old incarnation is gone
  world.RunFor(Seconds(1));
  EXPECT_EQ(world.network().stats().sent_by_node[server].messages, 0u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome.reply.status())) << outcome.reply.status();
}

TEST(Rpc, ReplyToAnOldCallerIncarnationNeverReachesTheNewOne) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory({.reply_delay = Millis(50)}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  int old_callbacks = 0;
  world.node<Client>(client).context().rpc().Call(
      server, kEcho, Echo("old"), Millis(500),
      [&old_callbacks](absl::StatusOr<EchoReply>) { ++old_callbacks; });
  world.At(Millis(10), "crash client", [&] { world.Crash(client); });
  world.At(Millis(20), "restart client", [&] { world.Restart(client); });
  Outcome fresh;
  world.At(Millis(20), "new call", [&] {
    // The new incarnation's first call reuses call id 1, like the old one's.
    world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("new"), Millis(500),
                                                    Record(world, fresh));
  });
  // The old call's reply reaches the client's address at 52ms.
  world.RunFor(Millis(60));
  EXPECT_EQ(world.incarnation(client), 2u);
  EXPECT_EQ(world.node<Client>(client).context().rpc().pending_calls(), 1u);
  EXPECT_EQ(fresh.calls, 0);
  EXPECT_EQ(CountTrace(world, TraceKind::kDrop, "receiver restarted since the send"), 1);

  world.RunFor(Seconds(1));
  EXPECT_EQ(old_callbacks, 0);
  EXPECT_EQ(fresh.calls, 1);
  ASSERT_TRUE(fresh.reply.ok()) << fresh.reply.status();
  EXPECT_EQ(fresh.reply->text(), "new");
  EXPECT_EQ(fresh.at, Millis(72));
}

TEST(Rpc, CrashedCallersPendingCallsVanishWithoutCallbacks) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, ServerFactory());
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  world.network().Isolate(server);  // nothing will answer
  int callbacks = 0;
  for (int i = 0; i < 5; ++i) {
    world.node<Client>(client).context().rpc().Call(
        server, kEcho, Echo("x"), Millis(100),
        [&callbacks](absl::StatusOr<EchoReply>) { ++callbacks; });
  }
  world.RunFor(Millis(50));
  world.Crash(client);
  world.RunFor(Seconds(1));  // well past every deadline
  EXPECT_EQ(callbacks, 0);
  world.Restart(client);
  EXPECT_EQ(world.node<Client>(client).context().rpc().pending_calls(), 0u);
}

TEST(Rpc, RequestsInFlightToARestartedNodeAreDropped) {
  World world(FixedLatency(Millis(10)));
  int handled = 0;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  Outcome outcome;
  world.node<Client>(client).context().rpc().Call(server, kEcho, Echo("x"), Millis(100),
                                                  Record(world, outcome));
  world.At(Millis(2), "crash server", [&] { world.Crash(server); });
  world.At(Millis(5), "restart server", [&] { world.Restart(server); });
  world.RunFor(Seconds(1));
  EXPECT_EQ(world.incarnation(server), 2u);
  EXPECT_EQ(handled, 0);
  EXPECT_TRUE(absl::IsDeadlineExceeded(outcome.reply.status())) << outcome.reply.status();
  EXPECT_EQ(CountTrace(world, TraceKind::kDrop, "receiver restarted since the send"), 1);
}

TEST(Rpc, RequestsToADownNodeAreDroppedEvenIfItRestartsBeforeArrival) {
  World world(FixedLatency(Millis(10)));
  int handled = 0;
  const NodeId server = world.AddNode("server", 0, ServerFactory({.handled = &handled}));
  const NodeId client = world.AddNode("client", 1, ClientFactory());
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  world.Crash(server);
  Outcome while_down;
  Outcome sent_before_restart;
  rpc.Call(server, kEcho, Echo("x"), Millis(100), Record(world, while_down));
  world.RunFor(Millis(20));  // arrives while the server is down
  rpc.Call(server, kEcho, Echo("y"), Millis(100), Record(world, sent_before_restart));
  world.RunFor(Millis(5));
  world.Restart(server);  // before the second request arrives
  world.RunFor(Seconds(1));
  EXPECT_EQ(handled, 0);
  EXPECT_TRUE(absl::IsDeadlineExceeded(while_down.reply.status()));
  EXPECT_TRUE(absl::IsDeadlineExceeded(sent_before_restart.reply.status()));
  EXPECT_EQ(CountTrace(world, TraceKind::kDrop, "receiver is down"), 1);
  EXPECT_EQ(CountTrace(world, TraceKind::kDrop, "receiver restarted since the send"), 1);

  // Requests sent after the restart are served by incarnation 2.
  Outcome after;
  rpc.Call(server, kEcho, Echo("z"), Millis(100), Record(world, after));
  world.RunFor(Seconds(1));
  ASSERT_TRUE(after.reply.ok()) << after.reply.status();
  EXPECT_EQ(after.reply->served_by_incarnation(), 2u);
}

}  // namespace
}  // namespace auroralab
