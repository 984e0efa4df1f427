// The ingest -> fingerprint -> store path; see the stage diagram in app/pipeline.hpp.
#include "app/pipeline.hpp"

#include "app/fingerprinting.hpp"
#include "fingerprint/trace_shape.hpp"
#include "ingest/event_fields.hpp"
#include "schema/log.hpp"
#include "schema/retry.hpp"

namespace selfheal::app {

Pipeline::Pipeline(const Config& cfg, EventStore& store, const Clock& clock, Metrics& metrics,
                   std::shared_ptr<Fingerprinting> fp)
    : cfg_(cfg), store_(store), clock_(clock), metrics_(metrics), fp_(std::move(fp)) {
  min_severity_ = parse_severity(cfg_.pipeline.min_severity).value_or(Severity::warning);
  events_accepted_ = &metrics_.counter("selfheal_pipeline_events_accepted_total",
                                       "Events taken into the in-memory batch (committed on the next flush).");
  events_rejected_overload_ =
      &metrics_.counter("selfheal_pipeline_events_rejected_total",
                        "Events refused because the in-memory queue was full (sources answer 429 / retry).",
                        {{"reason", "overloaded"}});
  commits_ok_ = &metrics_.counter("selfheal_store_commits_total", "Store transactions.", {{"outcome", "ok"}});
  commits_failed_ = &metrics_.counter("selfheal_store_commits_total", "Store transactions.", {{"outcome", "error"}});
  commit_seconds_ = &metrics_.histogram("selfheal_store_commit_duration_seconds",
                                        "Latency of one store commit (one transaction per flush).",
                                        latency_buckets_seconds());
  new_fingerprints_ = &metrics_.counter("selfheal_pipeline_fingerprints_created_total", "New fingerprints created.");
  cap_exceeded_ = &metrics_.counter(
      "selfheal_pipeline_fingerprint_cap_exceeded_total",
      "New fingerprints beyond pipeline.max_new_fingerprints_per_service_per_hour (likely a masking failure).");
  queue_gauge_ = &metrics_.gauge("selfheal_pipeline_queue_events", "Events accepted but not yet committed.");
}

Pipeline::~Pipeline() { stop(); }

Result<ingest::EventSink::Ticket> Pipeline::submit(ingest::Batch&& batch) {
  const auto n = static_cast<std::int64_t>(batch.events.size());
  if (n > 0 && queued_.load() + n > cfg_.storage.queue_max_events) {
    events_rejected_overload_->inc(static_cast<std::uint64_t>(n));
    return Error{ErrorCode::overloaded, "ingest queue full (" + std::to_string(queued_.load()) +
                                            " events waiting for the store); retry later"};
  }
  // Fingerprint outside the lock: this is the expensive part and runs on the caller's thread.
  struct Prepared {
    bool kept;
    Severity sev;
    FingerprintInfo info;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(batch.events.size());
  for (auto& e : batch.events) {
    const Severity sev = ingest::detect_severity(e);
    const bool kept = static_cast<int>(sev) >= static_cast<int>(min_severity_) ||
                      (cfg_.pipeline.keep_stack_traces && fingerprint::contains_stack_trace(e.message));
    Prepared p{kept, sev, {}};
    if (kept) p.info = fp_->compute(e);
    prepared.push_back(std::move(p));
  }
  Ticket t;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      const auto& e = batch.events[i];
      pending_.count(e, prepared[i].kept);
      if (prepared[i].kept) pending_.add(e, prepared[i].info, prepared[i].sev);
    }
    for (auto& p : batch.positions) pending_.set_position(std::move(p));
    for (auto& d : batch.dead_letters) {
      if (d.ts == 0) d.ts = clock_.now_ms();
      pending_.add_dead_letter(std::move(d));
    }
    t = next_ticket_++;
    pending_submitted_ += n;
    queued_ += n;
  }
  events_accepted_->inc(static_cast<std::uint64_t>(n));
  queue_gauge_->set(static_cast<double>(queued_.load()));
  return t;
}

Result<void> Pipeline::wait_durable(Ticket ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!started_) {
    // No flusher thread (CLI use): commit on the caller's thread.
    lock.unlock();
    auto r = flush_now();
    if (!r) return r.error();
    lock.lock();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (durable_ < ticket && ticket > wanted_) {
    // Group commit: a waiter wakes the flusher; everything submitted meanwhile joins the same transaction.
    wanted_ = ticket;
    cv_flush_.notify_one();
  }
  while (durable_ < ticket) {
    if (cv_durable_.wait_until(lock, deadline) == std::cv_status::timeout && durable_ < ticket) {
      if (!last_error_.empty()) return Error{ErrorCode::unavailable, "store commit failing: " + last_error_};
      return Error{ErrorCode::overloaded, "timed out waiting for the store to commit"};
    }
  }
  return {};
}

ingest::EventSink::Ticket Pipeline::durable_ticket() const {
  std::lock_guard lock(mu_);
  return durable_;
}

void Pipeline::on_commit(std::function<void(const CommitReceipt&)> fn) { listeners_.push_back(std::move(fn)); }

Result<CommitReceipt> Pipeline::commit_pending(std::unique_lock<std::mutex>& lock) {
  // Caller holds commit_mu_ and `lock` on mu_.
  WriteBatch batch;
  std::swap(batch, pending_);
  const std::int64_t submitted = pending_submitted_;
  pending_submitted_ = 0;
  const Ticket upto = next_ticket_ - 1;
  lock.unlock();
  auto r = store_.commit(batch);
  lock.lock();
  if (r) {
    durable_ = std::max(durable_, upto);
    queued_ -= submitted;  // every submitted event, kept or only counted
    last_error_.clear();
    commits_ok_->inc();
    commit_seconds_->observe(r->seconds);
  } else {
    // Keep everything: the newer pending batch absorbs the failed one (its positions stay newest).
    pending_.absorb(std::move(batch));
    pending_submitted_ += submitted;
    last_error_ = r.error().message;
    commits_failed_->inc();
  }
  queue_gauge_->set(static_cast<double>(queued_.load()));
  cv_durable_.notify_all();
  return r;
}

Result<CommitReceipt> Pipeline::flush_now() {
  std::lock_guard commit_lock(commit_mu_);
  std::unique_lock lock(mu_);
  if (pending_.empty()) {
    durable_ = next_ticket_ - 1;
    cv_durable_.notify_all();
    return CommitReceipt{};
  }
  auto r = commit_pending(lock);
  lock.unlock();
  if (r) {
    check_cardinality(*r);
    for (auto& l : listeners_) l(*r);
  }
  return r;
}

void Pipeline::check_cardinality(const CommitReceipt& r) {
  static log::RateLimit limit(6);
  const UnixMs hour = clock_.now_ms() / 3'600'000;
  new_fingerprints_->inc(r.new_ids.size());
  for (const auto& [service, id] : r.new_by_service) {
    auto& [h, n] = new_per_service_[service];
    if (h != hour) {
      h = hour;
      n = 0;
    }
    if (++n > cfg_.pipeline.max_new_fingerprints_per_service_per_hour) {
      cap_exceeded_->inc();
      std::uint64_t suppressed = 0;
      if (limit.allow(suppressed))
        spdlog::warn("New-fingerprint creation exploded; a variable part is probably not masked. service={} "
                     "new_this_hour={} cap={} example_id={} suppressed={}",
                     service, n, cfg_.pipeline.max_new_fingerprints_per_service_per_hour, id, suppressed);
    }
  }
}

void Pipeline::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  flusher_ = std::thread([this] { flusher_loop(); });
}

void Pipeline::flusher_loop() {
  const auto interval = std::chrono::milliseconds(cfg_.storage.flush_interval_ms);
  log::RateLimit limit(6);
  // After a failed commit: the one backoff (schema/retry.hpp), twice the interval doubling to 2 s.
  Backoff retry(std::min(interval * 2, std::chrono::milliseconds(2000)), std::chrono::milliseconds(2000));
  auto backoff = interval;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (backoff > interval) {
        cv_flush_.wait_for(lock, backoff, [this] { return stopping_; });  // after a failure: back off
      } else {
        cv_flush_.wait_for(lock, backoff, [this] { return stopping_ || wanted_ > durable_; });
      }
      if (stopping_) break;
    }
    auto r = flush_now();
    if (!r) {
      std::uint64_t suppressed = 0;
      if (limit.allow(suppressed))
        spdlog::warn("Store commit failed; keeping the batch in memory and retrying. error=\"{}\" suppressed={}",
                     r.error().message, suppressed);
      backoff = retry.next();
    } else {
      retry.reset();
      backoff = interval;
    }
  }
}

void Pipeline::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stopping_ = true;
  }
  cv_flush_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  // Final flush, retried briefly so a transient busy database does not lose accepted events.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto r = flush_now();
    if (r) break;
    spdlog::error("Final store commit failed. attempt={} error=\"{}\"", attempt + 1, r.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::lock_guard lock(mu_);
  started_ = false;
}

}  // namespace selfheal::app
