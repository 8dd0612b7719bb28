// benchmarks/report.cpp: table, JSON and CSV writers.
#include "report.h"

#include <cstdio>
#include <fstream>

#include "convnet/error.h"
#include "convnet/json_writer.h"

namespace convnet::bench {

namespace {

// "123.4us" / "12.34ms" / "1.234s": 4 significant digits, readable units.
std::string fmt_time(double s) {
  char buf[32];
  if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.1fus", s * 1e6);
  else if (s < 1.0) std::snprintf(buf, sizeof buf, "%.3fms", s * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3fs", s);
  return buf;
}

std::string fmt_pct(double p) {
  if (p < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", p);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

JsonObject ceilings_json(const Ceilings& c) {
  JsonObject o;
  o.add("sgemm_gflops", c.sgemm_gflops);
  o.add("sgemm_shape", c.sgemm_shape);
  if (c.fma_gflops > 0) {
    o.add("fma_peak_gflops", c.fma_gflops);
    o.add("fma_isa", c.fma_isa);
  }
  o.add("copy_gbs", c.copy_gbs);
  o.add("copy_size", c.copy_size);
  return o;
}

std::string json_array(const std::vector<std::string>& items, int indent) {
  if (items.empty()) return "[]";
  const std::string pad(size_t(indent + 2), ' ');
  std::string s = "[\n";
  for (size_t i = 0; i < items.size(); ++i) s += pad + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
  return s + std::string(size_t(indent), ' ') + "]";
}

}  // namespace

void apply_ceilings(OpRow& row, const Ceilings& c, bool cpu) {
  if (row.status != "ok") return;
  if (c.sgemm_gflops > 0) row.pct_sgemm = 100.0 * row.gflops / c.sgemm_gflops;
  if (cpu && c.fma_gflops > 0) row.pct_fma = 100.0 * row.gflops / c.fma_gflops;
  if (c.copy_gbs > 0) row.pct_copy = 100.0 * row.gbs / c.copy_gbs;
}

std::string format_ceilings(const std::string& device, const Ceilings& c) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "ceilings (%s): sgemm %.1f GFLOP/s (%s)", device.c_str(), c.sgemm_gflops,
                c.sgemm_shape.c_str());
  std::string s = buf;
  if (c.fma_gflops > 0) {
    std::snprintf(buf, sizeof buf, ", FMA peak %.1f GFLOP/s (%s loop)", c.fma_gflops, c.fma_isa.c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof buf, ", copy %.1f GB/s (%s, read+write)", c.copy_gbs, c.copy_size.c_str());
  return s + buf;
}

std::string format_op_header() {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-40s %-7s %10s %10s %10s %9s %8s %7s %6s %6s %4s  %s", "op/shape/batch/impl",
                "status", "median", "p10", "p90", "GFLOP/s", "GB/s", "%sgemm", "%fma", "%copy", "sets", "note");
  return buf;
}

std::string format_op_row(const OpRow& r) {
  char buf[512];
  if (r.status != "ok") {
    std::snprintf(buf, sizeof buf, "%-40s %-7s  %s", r.name.c_str(), r.status.c_str(), r.note.c_str());
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%-40s %-7s %10s %10s %10s %9.2f %8.2f %7s %6s %6s %4d  %s", r.name.c_str(),
                r.status.c_str(), fmt_time(r.time.median).c_str(), fmt_time(r.time.p10).c_str(),
                fmt_time(r.time.p90).c_str(), r.gflops, r.gbs, fmt_pct(r.pct_sgemm).c_str(),
                fmt_pct(r.pct_fma).c_str(), fmt_pct(r.pct_copy).c_str(), r.buffer_sets, r.note.c_str());
  return buf;
}

std::string format_e2e(const E2eResult& r) {
  char buf[512];
  std::string s;
  if (r.status != "ok") {
    std::snprintf(buf, sizeof buf, "e2e %s batch %d: %s: %s\n", r.impl.c_str(), r.batch, r.status.c_str(),
                  r.note.c_str());
    return buf;
  }
  std::snprintf(buf, sizeof buf,
                "e2e %s batch %d: %.0f images/s, %.3f ms/step over %d steps, %.2f s/epoch (%d steps, "
                "training only), mean loss %.4f\n",
                r.impl.c_str(), r.batch, r.images_per_second, r.step_ms, r.steps, r.epoch_seconds,
                r.steps_per_epoch, r.final_loss);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "    memory: backend peak %.1f MiB (network %.1f MiB), host peak RSS %.1f MiB\n",
                r.backend_peak_bytes / 1048576.0, r.network_bytes / 1048576.0, r.host_peak_rss_bytes / 1048576.0);
  s += buf;
  std::snprintf(buf, sizeof buf, "    step split: ops %.3f ms (%.1f%%), rest %.3f ms (%.1f%%)\n", r.op_ms,
                100.0 * r.op_ms / r.step_ms, r.other_ms, 100.0 * r.other_ms / r.step_ms);
  s += buf;
  if (!r.note.empty()) s += "    note: " + r.note + "\n";
  for (const StepPart& p : r.parts) {
    std::snprintf(buf, sizeof buf, "      %-34s %9.3f ms  %5.1f%%\n", p.label.c_str(), p.ms, 100.0 * p.ms / r.step_ms);
    s += buf;
  }
  return s;
}

void write_json(const BenchReport& r, const std::string& path) {
  JsonObject root;
  root.add("tool", "convnet-bench");
  root.add("date_utc", r.date_utc);
  root.add("command", r.command);
  JsonObject prov;
  for (const auto& [k, v] : r.provenance) prov.add(k, v);
  root.raw("provenance", prov.str(2));
  root.add("skipped_backends", r.skipped);
  JsonObject ceil;
  for (const auto& [k, c] : r.ceilings) ceil.raw(k, ceilings_json(c).str(4));
  root.raw("ceilings", ceil.str(2));

  std::vector<std::string> ops;
  for (const OpRow& o : r.ops) {
    JsonObject j;
    j.add("name", o.name).add("op", o.op).add("shape", o.shape).add("batch", o.batch).add("impl", o.impl);
    j.add("status", o.status).add("note", o.note);
    j.add("median_s", o.time.median).add("p10_s", o.time.p10).add("p90_s", o.time.p90);
    j.add("min_s", o.time.min).add("max_s", o.time.max).add("samples", o.time.samples);
    j.add("launches_per_sample", o.launches_per_sample).add("buffer_sets", o.buffer_sets);
    j.add("flops", o.flops).add("bytes", o.bytes).add("gflops", o.gflops).add("gbs", o.gbs);
    if (o.pct_sgemm >= 0) j.add("pct_sgemm", o.pct_sgemm);
    if (o.pct_fma >= 0) j.add("pct_fma_peak", o.pct_fma);
    if (o.pct_copy >= 0) j.add("pct_copy", o.pct_copy);
    j.add("validation_worst_err_over_tol", o.worst_err);
    ops.push_back(j.str(4));
  }
  root.raw("ops", json_array(ops, 2));

  std::vector<std::string> e2e;
  for (const E2eResult& e : r.e2e) {
    JsonObject j;
    j.add("name", "e2e/lenet5/b" + std::to_string(e.batch) + "/" + e.impl);
    j.add("impl", e.impl).add("batch", e.batch).add("status", e.status).add("note", e.note);
    j.add("steps", e.steps).add("images_per_second", e.images_per_second).add("step_ms", e.step_ms);
    j.add("steps_per_epoch", e.steps_per_epoch).add("epoch_seconds", e.epoch_seconds);
    j.add("mean_loss", e.final_loss);
    j.add("backend_peak_bytes", e.backend_peak_bytes).add("network_bytes", e.network_bytes);
    j.add("host_peak_rss_bytes", e.host_peak_rss_bytes);
    j.add("op_ms_per_step", e.op_ms).add("rest_ms_per_step", e.other_ms);
    j.add("labels_matched_schedule", e.labels_matched);
    std::vector<std::string> parts;
    for (const StepPart& p : e.parts) {
      JsonObject pj;
      pj.add("label", p.label).add("op", p.op).add("ms", p.ms);
      parts.push_back(pj.str(6));
    }
    j.raw("parts", json_array(parts, 6));
    e2e.push_back(j.str(4));
  }
  root.raw("e2e", json_array(e2e, 2));

  std::ofstream f(path);
  CONVNET_CHECK(f, "cannot write JSON to '", path, "'");
  f << root.str() << "\n";
  CONVNET_CHECK(f.good(), "error writing JSON to '", path, "'");
}

void write_csv(const BenchReport& r, const std::string& path) {
  {
    std::ofstream f(path);
    CONVNET_CHECK(f, "cannot write CSV to '", path, "'");
    f << "name,op,shape,batch,impl,status,median_s,p10_s,p90_s,min_s,max_s,samples,flops,bytes,gflops,gbs,"
         "pct_sgemm,pct_fma_peak,pct_copy,validation_worst_err_over_tol,buffer_sets,note\n";
    for (const OpRow& o : r.ops) {
      f << csv_field(o.name) << ',' << o.op << ',' << csv_field(o.shape) << ',' << o.batch << ',' << o.impl << ','
        << o.status << ',' << num(o.time.median) << ',' << num(o.time.p10) << ',' << num(o.time.p90) << ','
        << num(o.time.min) << ',' << num(o.time.max) << ',' << o.time.samples << ',' << o.flops << ','
        << o.bytes << ',' << num(o.gflops) << ',' << num(o.gbs) << ','
        << (o.pct_sgemm >= 0 ? num(o.pct_sgemm) : "") << ',' << (o.pct_fma >= 0 ? num(o.pct_fma) : "") << ','
        << (o.pct_copy >= 0 ? num(o.pct_copy) : "") << ',' << num(o.worst_err) << ',' << o.buffer_sets << ','
        << csv_field(o.note) << '\n';
    }
    CONVNET_CHECK(f.good(), "error writing CSV to '", path, "'");
  }
  if (r.e2e.empty()) return;
  std::string e2e_path = path;
  if (e2e_path.size() > 4 && e2e_path.compare(e2e_path.size() - 4, 4, ".csv") == 0) e2e_path.resize(e2e_path.size() - 4);
  e2e_path += ".e2e.csv";
  std::ofstream f(e2e_path);
  CONVNET_CHECK(f, "cannot write CSV to '", e2e_path, "'");
  f << "impl,batch,status,steps,images_per_second,step_ms,steps_per_epoch,epoch_seconds,mean_loss,"
       "backend_peak_bytes,network_bytes,host_peak_rss_bytes,op_ms_per_step,rest_ms_per_step,note\n";
  for (const E2eResult& e : r.e2e)
    f << e.impl << ',' << e.batch << ',' << e.status << ',' << e.steps << ',' << num(e.images_per_second) << ','
      << num(e.step_ms) << ',' << e.steps_per_epoch << ',' << num(e.epoch_seconds) << ',' << num(e.final_loss)
      << ',' << e.backend_peak_bytes << ',' << e.network_bytes << ',' << e.host_peak_rss_bytes << ','
      << num(e.op_ms) << ',' << num(e.other_ms) << ',' << csv_field(e.note) << '\n';
  CONVNET_CHECK(f.good(), "error writing CSV to '", e2e_path, "'");
}

}  // namespace convnet::bench
