// The HTML page of linearizability_html.h: static CSS and script, and the
// markup for each partition's timeline and linearization tables.

#include "labs/framework/linearizability_html.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace auroralab {
namespace linearizability_internal {
namespace {

std::string Esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlTime(int64_t t) {
  return t == kNeverReturned ? std::string("never") : absl::StrCat(t, "&nbsp;&micro;s");
}

const char* VerdictClass(CheckResult::Verdict v) {
  switch (v) {
    case CheckResult::kOk:
      return "ok";
    case CheckResult::kIllegal:
      return "bad";
    case CheckResult::kUnknown:
      return "unk";
  }
  return "unk";
}

constexpr char kStyle[] = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:20px;color:#222;
  background:#fafafa}
h1{font-size:22px}h2{font-size:18px;margin:4px 0 8px}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:600}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.badge.unk{background:#ef6c00}
pre.msg{background:#fff;border:1px solid #ddd;padding:10px;white-space:pre-wrap;font-size:12px}
.help{max-width:70em;font-size:14px;line-height:1.4}
table.index,table.steps{border-collapse:collapse;font-size:13px;margin:6px 0}
table.index td,table.index th,table.steps td,table.steps th{border:1px solid #ddd;
  padding:2px 8px;text-align:left;vertical-align:top}
table.steps{font-family:monospace;font-size:12px}
table.steps tr:hover td{background:#e3f2fd}
tr.stuck td{background:#ffebee}
section.part{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;
  margin:16px 0}
section.part>details>summary{cursor:pointer;font-size:16px;font-weight:600}
.tl{display:flex;border:1px solid #ccc;margin:8px 0}
.labels{flex:none;width:100px;border-right:1px solid #ccc;background:#f3f3f3}
.labels div{box-sizing:border-box;padding:6px;font-size:12px;border-bottom:1px solid #ddd}
.scroll{overflow-x:auto;flex:auto}
.canvas{position:relative}
.lane{position:absolute;left:0;right:0;border-bottom:1px solid #ddd}
.tick{position:absolute;top:0;bottom:0;border-left:1px dotted #e0e0e0}
.tlabel{position:absolute;top:2px;font-size:10px;color:#777;white-space:nowrap}
.op{position:absolute;box-sizing:border-box;height:24px;border:1px solid #78909c;
  border-radius:3px;background:#eceff1;font:12px monospace;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis;padding:4px 4px;cursor:pointer}
.op.lin{background:#c8e6c9;border-color:#2e7d32}
.op.blocked{background:#ffcdd2;border:2px solid #c62828;font-weight:bold}
.op.rest{background:#f5f5f5;color:#888;border-style:dotted}
.op.open{border-right:3px dashed #546e7a;
  background-image:linear-gradient(to right,rgba(255,255,255,0) 60%,rgba(255,255,255,.95))}
.op .n{display:inline-block;min-width:14px;padding:0 3px;margin-right:4px;border-radius:7px;
  background:#2e7d32;color:#fff;font-size:10px;text-align:center}
.op .x{color:#c62828;margin-right:3px}
.op.hl{outline:3px solid #1565c0;z-index:2}
.linbtn{margin:2px;font-size:12px}.linbtn.cur{font-weight:bold;background:#bbdefb}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:22px;height:12px;margin-right:4px;vertical-align:middle;
  border:1px solid #78909c}
)css";

// Click an operation to show the longest partial linearization containing it;
// hover a table row to highlight its operation. Without JS the page still
// shows the longest partial linearization.
constexpr char kScript[] = R"js(
var D = {};
function sel(p, k) {
  var d = D[p]; if (!d) return;
  var pos = {}, blk = {};
  (d.l[k] || []).forEach(function (o, i) { pos[o] = i + 1; });
  (d.b[k] || []).forEach(function (o) { blk[o] = 1; });
  var s = document.getElementById('p' + p);
  s.querySelectorAll('.op').forEach(function (e) {
    var o = +e.dataset.op, n = e.querySelector('.n'), x = e.querySelector('.x');
    e.classList.remove('lin', 'blocked', 'rest');
    if (pos[o]) { e.classList.add('lin'); n.textContent = pos[o]; n.style.display = ''; }
    else { e.classList.add(blk[o] ? 'blocked' : 'rest'); n.style.display = 'none'; }
    x.style.display = blk[o] ? '' : 'none';
  });
  s.querySelectorAll('.linview').forEach(function (e) { e.hidden = +e.dataset.k !== k; });
  s.querySelectorAll('.linbtn').forEach(function (e) {
    e.classList.toggle('cur', +e.dataset.k === k);
  });
}
document.addEventListener('click', function (ev) {
  var b = ev.target.closest('.op'); if (!b) return;
  var s = b.closest('section'), d = D[+s.dataset.p]; if (!d) return;
  var k = d.f[+b.dataset.op]; if (k >= 0) sel(+s.dataset.p, k);
});
function hl(ev, on) {
  var r = ev.target.closest('tr[data-op]'); if (!r) return;
  var b = r.closest('section').querySelector('.op[data-op="' + r.dataset.op + '"]');
  if (b) b.classList.toggle('hl', on);
}
document.addEventListener('mouseover', function (ev) { hl(ev, true); });
document.addEventListener('mouseout', function (ev) { hl(ev, false); });
)js";

constexpr int kAxisHeight = 18;
constexpr int kLaneHeight = 30;
constexpr int kPad = 8;

// Geometry of one partition's timeline. Time is compressed: every call and
// return gets its own slot in the order the checker sorts them, so the
// concurrency the checker sees is exactly what is drawn.
struct Layout {
  int slot = 0;
  int width = 0;
  std::vector<int> call_x, ret_x;  // ret_x = -1 for unknown outcomes
  std::vector<int64_t> slot_time;  // time of each slot
  std::vector<int> clients;        // sorted client ids
  std::map<int, int> client_lanes;
  std::vector<int> lane_of_op;  // global lane index
  int lanes = 0;
};

Layout ComputeLayout(const RenderPartition& part) {
  Layout layout;
  const int n = static_cast<int>(part.ops.size());
  struct Event {
    int64_t time;
    bool is_return;
    int op;
  };
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    events.push_back({part.ops[i].call, false, i});
    // Unknown outcomes get no slot: they are drawn open-ended instead.
    if (part.ops[i].ret != kNeverReturned) events.push_back({part.ops[i].ret, true, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time, a.is_return, a.op) < std::tie(b.time, b.is_return, b.op);
  });
  const int slots = static_cast<int>(events.size());
  layout.slot = std::clamp(1400 / std::max(1, slots), 12, 90);
  layout.width = 2 * kPad + std::max(1, slots) * layout.slot + 60;
  layout.call_x.assign(n, 0);
  layout.ret_x.assign(n, -1);
  std::vector<int> call_slot(n, 0), ret_slot(n, slots + 1);
  for (int e = 0; e < slots; ++e) {
    const int x = kPad + e * layout.slot;
    layout.slot_time.push_back(events[e].time);
    if (events[e].is_return) {
      layout.ret_x[events[e].op] = x;
      ret_slot[events[e].op] = e;
    } else {
      layout.call_x[events[e].op] = x;
      call_slot[events[e].op] = e;
    }
  }
  // Lanes: a client normally has one operation at a time, but unknown-outcome
  // operations stay open forever, so give overlapping ones extra lanes.
  std::map<int, std::vector<int>> ops_of_client;  // ordered: deterministic rows
  for (int i = 0; i < n; ++i) ops_of_client[part.ops[i].client_id].push_back(i);
  layout.lane_of_op.assign(n, 0);
  for (auto& [client, ops] : ops_of_client) {
    std::sort(ops.begin(), ops.end(), [&](int a, int b) { return call_slot[a] < call_slot[b]; });
    std::vector<int> lane_end;  // last occupied slot per lane
    for (int op : ops) {
      size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] >= call_slot[op]) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      lane_end[lane] = ret_slot[op];
      layout.lane_of_op[op] = layout.lanes + static_cast<int>(lane);
    }
    layout.clients.push_back(client);
    layout.client_lanes[client] = static_cast<int>(lane_end.size());
    layout.lanes += static_cast<int>(lane_end.size());
  }
  return layout;
}

std::string IntList(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

void AppendTimeline(const RenderPartition& part, const Layout& layout, std::string& html) {
  const bool failing = part.verdict != CheckResult::kOk;
  const RenderLinearization* shown =
      part.linearizations.empty() ? nullptr : &part.linearizations[0];
  std::vector<int> position(part.ops.size(), 0);
  std::vector<bool> stuck(part.ops.size(), false);
  if (shown != nullptr) {
    for (size_t i = 0; i < shown->ops.size(); ++i) position[shown->ops[i]] = i + 1;
    for (const RenderStuck& s : shown->stuck) stuck[s.op] = true;
  }
  const int height = kAxisHeight + std::max(1, layout.lanes) * kLaneHeight;

  html += "<div class=\"tl\"><div class=\"labels\">";
  absl::StrAppend(&html, "<div style=\"height:", kAxisHeight, "px;padding:0\"></div>");
  for (int client : layout.clients) {
    absl::StrAppend(&html, "<div style=\"height:", layout.client_lanes.at(client) * kLaneHeight,
                    "px\">client ", client, "</div>");
  }
  absl::StrAppend(&html,
                  "</div><div class=\"scroll\"><div class=\"canvas\" style=\"width:", layout.width,
                  "px;height:", height, "px\">");
  // Row backgrounds, one per client.
  int first_lane = 0;
  for (int client : layout.clients) {
    const int lanes = layout.client_lanes.at(client);
    absl::StrAppend(&html,
                    "<div class=\"lane\" style=\"top:", kAxisHeight + first_lane * kLaneHeight,
                    "px;height:", lanes * kLaneHeight - 1, "px\"></div>");
    first_lane += lanes;
  }
  // Time axis: a tick per slot, a label where there is room.
  int last_label_x = -1000;
  for (size_t s = 0; s < layout.slot_time.size(); ++s) {
    const int x = kPad + static_cast<int>(s) * layout.slot;
    absl::StrAppend(&html, "<div class=\"tick\" style=\"left:", x, "px\"></div>");
    if (x - last_label_x >= 70) {
      absl::StrAppend(&html, "<div class=\"tlabel\" style=\"left:", x + 2, "px\">",
                      HtmlTime(layout.slot_time[s]), "</div>");
      last_label_x = x;
    }
  }
  for (size_t i = 0; i < part.ops.size(); ++i) {
    const RenderOp& op = part.ops[i];
    const bool open = op.ret == kNeverReturned;
    const int left = layout.call_x[i];
    const int right = open ? layout.width - 4 : layout.ret_x[i];
    std::string cls = "op";
    if (open) cls += " open";
    if (!failing || position[i] > 0) {
      cls += " lin";
    } else {
      cls += stuck[i] ? " blocked" : " rest";
    }
    const std::string title = absl::StrCat(
        "client ", op.client_id, " | ", op.text, " | call ", FormatVirtualTime(op.call),
        " | return ", open ? "never (outcome unknown)" : FormatVirtualTime(op.ret));
    absl::StrAppend(&html, "<div class=\"", cls, "\" data-op=\"", i, "\" style=\"left:", left,
                    "px;width:", std::max(8, right - left),
                    "px;top:", kAxisHeight + layout.lane_of_op[i] * kLaneHeight + 3,
                    "px\" title=\"", Esc(title), "\">");
    absl::StrAppend(&html, "<span class=\"n\"", position[i] > 0 ? "" : " style=\"display:none\"",
                    ">", position[i], "</span>");
    absl::StrAppend(&html, "<span class=\"x\"", stuck[i] ? "" : " style=\"display:none\"",
                    ">&#10007;</span>", Esc(op.text), open ? " &hellip;" : "", "</div>");
  }
  html += "</div></div></div>\n";
}

void AppendOpCells(const RenderOp& op, std::string& html) {
  absl::StrAppend(&html, "<td>client ", op.client_id, "</td><td>", Esc(op.text), "</td><td>",
                  HtmlTime(op.call), "</td><td>", HtmlTime(op.ret), "</td>");
}

void AppendLinearizationTable(const RenderPartition& part, size_t k, std::string& html) {
  const RenderLinearization& lin = part.linearizations[k];
  html +=
      "<table class=\"steps\"><tr><th>step</th><th>client</th><th>operation</th>"
      "<th>call</th><th>return</th><th>state after</th></tr>";
  absl::StrAppend(&html, "<tr><td>0</td><td colspan=\"4\">(initial state)</td><td>",
                  Esc(part.initial_state), "</td></tr>");
  for (size_t i = 0; i < lin.ops.size(); ++i) {
    absl::StrAppend(&html, "<tr data-op=\"", lin.ops[i], "\"><td>", i + 1, "</td>");
    AppendOpCells(part.ops[lin.ops[i]], html);
    absl::StrAppend(&html, "<td>", Esc(lin.states_after[i]), "</td></tr>");
  }
  html += "</table>\n";
}

void AppendFailureViews(const RenderPartition& part, int p, std::string& html) {
  const size_t count = part.linearizations.size();
  const bool illegal = part.verdict == CheckResult::kIllegal;
  if (count > 1) {
    html += "<div>Partial linearizations (longest first): ";
    for (size_t k = 0; k < count; ++k) {
      absl::StrAppend(&html, "<button class=\"linbtn", k == 0 ? " cur" : "", "\" data-k=\"", k,
                      "\" onclick=\"sel(", p, ",", k, ")\">#", k + 1, " (",
                      part.linearizations[k].ops.size(), " ops)</button>");
    }
    html += "</div>\n";
  }
  if (count == 0) {
    html +=
        "<p>The search stopped (out of steps, or an invalid history) before it linearized any "
        "operation of this partition.</p>";
  }
  for (size_t k = 0; k < count; ++k) {
    const RenderLinearization& lin = part.linearizations[k];
    absl::StrAppend(&html, "<div class=\"linview\" data-k=\"", k, "\"", k == 0 ? "" : " hidden",
                    "><p>Partial linearization #", k + 1, ": ", lin.ops.size(), " of ",
                    part.ops.size(), " operations.</p>");
    AppendLinearizationTable(part, k, html);
    if (illegal) {
      const std::string state =
          lin.states_after.empty() ? part.initial_state : lin.states_after.back();
      absl::StrAppend(&html, "<p><b>Then stuck:</b> in state <code>", Esc(state),
                      "</code> none of these operations could be linearized next. (The next "
                      "operation has to be one of them: every other remaining operation was "
                      "called after one of these had already returned.)</p>");
      html +=
          "<table class=\"steps\"><tr><th>client</th><th>operation</th><th>call</th>"
          "<th>return</th><th>why</th></tr>";
      for (const RenderStuck& s : lin.stuck) {
        absl::StrAppend(&html, "<tr class=\"stuck\" data-op=\"", s.op, "\">");
        AppendOpCells(part.ops[s.op], html);
        absl::StrAppend(&html, "<td>",
                        s.legal_step ? "legal here, but every order of the remaining "
                                       "operations gets stuck after it"
                                     : "illegal in this state",
                        "</td></tr>");
      }
      html += "</table>";
    } else {
      html +=
          "<p>The search ran out of steps before finishing this partition; the operations "
          "not shown above were simply not reached.</p>";
    }
    html += "</div>\n";
  }
}

void AppendPartition(const RenderPartition& part, int p, std::string& html) {
  const bool ok = part.verdict == CheckResult::kOk;
  absl::StrAppend(&html, "<section class=\"part\" id=\"p", p, "\" data-p=\"", p, "\">");
  const std::string heading =
      absl::StrCat(Esc(part.name), " <span class=\"badge ", VerdictClass(part.verdict), "\">",
                   VerdictName(part.verdict), "</span> <small>", part.ops.size(), " operations, ",
                   part.steps, " search steps</small>");
  if (ok) {
    absl::StrAppend(&html, "<details><summary>", heading, "</summary>");
  } else {
    absl::StrAppend(&html, "<h2>", heading, "</h2>");
    html +=
        "<div class=\"legend\"><span><i style=\"background:#c8e6c9\"></i>linearized "
        "(numbered in order)</span><span><i style=\"background:#ffcdd2;border:2px solid "
        "#c62828\"></i>could not be linearized next</span><span><i style=\"background:"
        "#f5f5f5;border-style:dotted\"></i>not reached</span><span><i style=\"border-right:"
        "3px dashed #546e7a\"></i>outcome unknown (open-ended)</span></div>";
  }
  const Layout layout = ComputeLayout(part);
  AppendTimeline(part, layout, html);
  if (ok) {
    if (!part.linearizations.empty()) {
      html += "<p>A valid linearization (numbered on the boxes):</p>";
      AppendLinearizationTable(part, 0, html);
    }
    html += "</details>";
  } else {
    AppendFailureViews(part, p, html);
    // Data for the click handler: linearizations, stuck ops, longest per op.
    std::vector<std::string> lins, stuck;
    for (const RenderLinearization& lin : part.linearizations) {
      lins.push_back(IntList(lin.ops));
      std::vector<int> ops;
      for (const RenderStuck& s : lin.stuck) ops.push_back(s.op);
      stuck.push_back(IntList(ops));
    }
    absl::StrAppend(&html, "<script>D[", p, "]={l:[", absl::StrJoin(lins, ","), "],b:[",
                    absl::StrJoin(stuck, ","), "],f:", IntList(part.longest_for_op), "};</script>");
  }
  html += "</section>\n";
}

// How the page at `page` should link to `target`: by name alone when both are
// in the same directory, so the pair of pages can be moved together.
std::string RelativeLink(const std::string& page, const std::string& target) {
  const auto dir = [](std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  };
  if (dir(page) == dir(target)) return target.substr(dir(target).size());
  return target;
}

}  // namespace

absl::Status WriteHtmlFile(const std::string& path, const CheckResult& result,
                           const std::vector<RenderPartition>& partitions,
                           const LinearizabilityHtmlOptions& options) {
  std::string html;
  absl::StrAppend(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>",
                  "Linearizability: ", VerdictName(result.verdict), "</title><style>", kStyle,
                  "</style><script>", kScript, "</script></head><body>\n");
  absl::StrAppend(&html, "<h1>Linearizability check <span class=\"badge ",
                  VerdictClass(result.verdict), "\">", VerdictName(result.verdict),
                  "</span></h1>\n");
  if (!options.trace_page.empty()) {
    absl::StrAppend(
        &html, "<p class=\"help\">What every node did in this run: <a id=\"trace-link\" ",
        "href=\"", Esc(RelativeLink(path, options.trace_page)), "\">the trace viewer</a>.</p>\n");
  }
  absl::StrAppend(&html, "<pre class=\"msg\">", Esc(result.message), "</pre>\n");
  html +=
      "<p class=\"help\">Each partition (key) is checked on its own. In the timelines every "
      "row is one client and every box one operation, stretching from its call to its "
      "return; time is compressed (each call or return gets one slot, in order, so boxes "
      "overlap exactly when the operations were concurrent). A linearization must place "
      "each operation at one instant inside its box. For a failing partition the green, "
      "numbered boxes are the longest prefix the checker could order legally, and the red "
      "boxes (&#10007;) are the operations that could not come next; the tables below show "
      "the model state after each step. Click a box to see the longest partial "
      "linearization that contains that operation.</p>\n";
  // Index: failing partitions first, then unknown, then OK, each in partition order.
  std::vector<int> order;
  for (CheckResult::Verdict v : {CheckResult::kIllegal, CheckResult::kUnknown, CheckResult::kOk}) {
    for (size_t p = 0; p < partitions.size(); ++p) {
      if (partitions[p].verdict == v) order.push_back(static_cast<int>(p));
    }
  }
  html +=
      "<table class=\"index\"><tr><th>partition</th><th>verdict</th><th>operations</th>"
      "<th>search steps</th></tr>";
  for (int p : order) {
    const RenderPartition& part = partitions[p];
    absl::StrAppend(&html, "<tr><td><a href=\"#p", p, "\">", Esc(part.name),
                    "</a></td><td><span class=\"badge ", VerdictClass(part.verdict), "\">",
                    VerdictName(part.verdict), "</span></td><td>", part.ops.size(), "</td><td>",
                    part.steps, "</td></tr>");
  }
  html += "</table>\n";
  for (int p : order) AppendPartition(partitions[p], p, html);
  html += "</body></html>\n";

  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  const size_t written = std::fwrite(html.data(), 1, html.size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != html.size() || !closed) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace linearizability_internal
}  // namespace auroralab
