#include "ingest/runner.hpp"

#include "ingest/source_metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace selfheal::ingest {

namespace {
// Overload is the pipeline's queue being full: it drains every flush interval, so never wait longer.
constexpr std::chrono::milliseconds overload_wait_max{200};
}  // namespace

SourceRunner::SourceRunner(std::unique_ptr<PullSource> source, EventSink& sink, PositionStore& positions,
                           Metrics& metrics, RunnerOptions opts)
    : source_(std::move(source)), sink_(sink), positions_(positions), opts_(opts), name_(source_->name()) {
  const MetricLabels src{{"source", name_}};
  const SourceMetrics common(metrics, name_);
  m_received_ = &common.received;
  m_accepted_ = &common.accepted;
  m_dead_ = &common.dead_letters;
  m_poll_errors_ = &metrics.counter("selfheal_source_poll_errors_total", "Failed polls (retried with backoff).", src);
  m_retries_ = &metrics.counter("selfheal_source_submit_retries_total",
                                "Submits refused as overloaded and retried with the same batch.", src);
  m_commit_errors_ = &metrics.counter("selfheal_source_commit_errors_total",
                                      "Durable batches whose commit back to the peer failed (the store keeps them).", src);
  m_in_flight_ = &metrics.gauge("selfheal_source_in_flight_batches", "Submitted batches not yet durable.", src);
}

SourceRunner::~SourceRunner() { stop(); }

Result<void> SourceRunner::start() {
  if (started_) return make_error(ErrorCode::conflict, "source runner '" + name_ + "' already started");
  auto stored = positions_.positions(name_);
  if (!stored) return stored.error();
  if (auto r = source_->start(*stored); !r) return r;
  started_ = true;
  thread_ = std::thread([this] { loop(); });
  return ok();
}

void SourceRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SourceRunner::abort() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
    abort_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SourceRunner::wait_backoff(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stop_requested_; });
}

void SourceRunner::commit_durable() {
  const auto durable = sink_.durable_ticket();
  while (!in_flight_.empty() && in_flight_.front().ticket <= durable) {
    auto& f = in_flight_.front();
    if (auto r = source_->commit(f.positions); !r) {
      m_commit_errors_->inc();
      spdlog::warn("Commit back to the source failed; the store holds the positions. source={} error=\"{}\"", name_,
                   r.error().message);
    }
    accepted_ += f.events;
    m_accepted_->inc(f.events);
    ++batches_;
    in_flight_.pop_front();
  }
  m_in_flight_->set(static_cast<double>(in_flight_.size()));
}

bool SourceRunner::settle() {
  if (in_flight_.empty()) return true;
  const auto last = in_flight_.back().ticket;
  if (auto r = sink_.wait_durable(last, opts_.durable_timeout); !r) {
    spdlog::warn("Submitted batches did not become durable in time. source={} error=\"{}\"", name_, r.error().message);
    commit_durable();
    return false;
  }
  commit_durable();
  return in_flight_.empty();
}

bool SourceRunner::submit_retrying(Batch&& batch, bool stopping) {
  InFlight f;
  f.events = batch.events.size();
  f.positions.positions = batch.positions;
  Backoff backoff(opts_.backoff_initial, opts_.backoff_max, /*jitter=*/true);
  const auto give_up = std::chrono::steady_clock::now() + opts_.durable_timeout;
  for (;;) {
    // EventSink contract: a refused submit takes nothing, so the same object is submitted again.
    auto t = sink_.submit(std::move(batch));
    if (t) {
      f.ticket = *t;
      in_flight_.push_back(std::move(f));
      m_in_flight_->set(static_cast<double>(in_flight_.size()));
      return true;
    }
    if (t.error().code != ErrorCode::overloaded) {
      spdlog::warn("Sink refused a batch; retrying. source={} error=\"{}\"", name_, t.error().message);
    }
    ++retries_;
    m_retries_->inc();
    if (!in_flight_.empty()) {
      // The queue drains when the store commits: wake on our own last batch becoming durable rather
      // than sleeping a growing backoff past it.
      (void)sink_.wait_durable(in_flight_.back().ticket, std::min(backoff.next(), overload_wait_max));
      commit_durable();
      std::lock_guard lock(mu_);
      if (abort_ || (stop_requested_ && !stopping)) return false;
      continue;
    }
    commit_durable();
    if (stopping) {
      if (std::chrono::steady_clock::now() >= give_up) return false;
      std::unique_lock lock(mu_);
      if (abort_) return false;
      cv_.wait_for(lock, backoff.next(), [&] { return abort_; });
    } else if (!wait_backoff(std::min(backoff.next(), overload_wait_max))) {
      return false;  // stopping: the batch is not committed, its positions are read again next start
    }
  }
}

void SourceRunner::loop() {
  Backoff backoff(opts_.backoff_initial, opts_.backoff_max, /*jitter=*/true);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_requested_) break;
    }
    commit_durable();
    auto r = source_->poll(opts_.poll_max_wait);
    if (!r) {
      ++poll_errors_;
      m_poll_errors_->inc();
      {
        std::lock_guard lock(mu_);
        poll_error_ = r.error().message;
      }
      const auto d = backoff.next();
      spdlog::warn("Source poll failed; backing off. source={} backoff_ms={} error=\"{}\"", name_, d.count(),
                   r.error().message);
      wait_backoff(d);
      continue;
    }
    backoff.reset();
    {
      std::lock_guard lock(mu_);
      poll_error_.clear();
    }
    if (r->empty()) continue;
    received_ += r->events.size();
    dead_ += r->dead_letters.size();
    m_received_->inc(r->events.size());
    m_dead_->inc(r->dead_letters.size());
    if (!submit_retrying(std::move(*r), false)) break;
  }
  {
    std::lock_guard lock(mu_);
    if (abort_) return;
  }
  Batch last = source_->drain();
  if (!last.empty()) {
    received_ += last.events.size();
    dead_ += last.dead_letters.size();
    m_received_->inc(last.events.size());
    m_dead_->inc(last.dead_letters.size());
    if (!submit_retrying(std::move(last), true)) {
      spdlog::warn("Final batch not accepted before the deadline; it is read again at the next start. source={}", name_);
    }
  }
  if (!settle()) spdlog::warn("Stopping with batches not yet durable; they are read again at the next start. source={}", name_);
  source_->close();
}

SourceHealth SourceRunner::health() const {
  {
    std::lock_guard lock(mu_);
    if (!poll_error_.empty()) return SourceHealth{false, name_ + ": " + poll_error_};
  }
  auto h = source_->health();
  if (!h.ok) h.detail = name_ + ": " + h.detail;
  return h;
}

SourceRunner::Stats SourceRunner::stats() const {
  Stats s;
  s.received = received_.load();
  s.accepted = accepted_.load();
  s.dead_letters = dead_.load();
  s.batches_committed = batches_.load();
  s.poll_errors = poll_errors_.load();
  s.submit_retries = retries_.load();
  return s;
}

}  // namespace selfheal::ingest
