use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Map;

use super::*;
use crate::error::InventoryError;
use crate::job::HostStatus;

async fn exec(workers: usize, queue_size: usize) -> Executor {
    let cfg = ExecutorConfig {
        workers,
        queue_size,
        ..Default::default()
    };
    Executor::start(cfg, &Handle::current()).await.unwrap()
}

fn command(name: &str, argv: &[&str], f: impl FnOnce(&mut TemplateSpec)) -> TemplateSpec {
    let mut s = TemplateSpec {
        name: Some(name.into()),
        command: Some(argv.iter().map(|a| a.to_string()).collect()),
        // Made-up host names: every check runs here with `{host}` substituted.
        connection: Some(crate::template::Connection::Local),
        ..Default::default()
    };
    f(&mut s);
    s
}

fn hosts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("h{i}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_command_per_host_and_reports() {
    let ex = exec(2, 10).await;
    ex.create_template(command("t", &["sh", "-c", "test {host} != h1"], |_| {}))
        .await
        .unwrap();
    let job = ex
        .submit(TemplateRef::Stored("t".into()), hosts(3), Map::new())
        .await
        .unwrap();
    assert_eq!(job.wait(None).await.unwrap(), JobStatus::Failed);
    let r = job.results();
    let statuses: Vec<_> = r.iter().map(|r| (r.host.as_str(), r.status)).collect();
    assert_eq!(
        statuses,
        [
            ("h0", HostStatus::Passed),
            ("h1", HostStatus::Failed),
            ("h2", HostStatus::Passed)
        ]
    );
    let mut sub = job.subscribe();
    let mut kinds = Vec::new();
    while let Some(e) = sub.next(job.id).await {
        kinds.push(e.kind.name());
    }
    assert_eq!(kinds.first(), Some(&"queued"));
    assert_eq!(kinds.get(1), Some(&"started"));
    assert_eq!(kinds.last(), Some(&"finished"));
    assert_eq!(kinds.iter().filter(|k| **k == "host_finished").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_host_list_is_refused_unless_allowed() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["true"], |_| {}))
        .await
        .unwrap();
    let refused = ex
        .submit(TemplateRef::Stored("t".into()), vec![], Map::new())
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation(v)) if v.field == "hosts"),
        "{:?}",
        refused.err()
    );
    assert_eq!(ex.count(None, None).await.unwrap(), 0, "nothing was queued");
    let job = ex
        .submit_with(
            TemplateRef::Stored("t".into()),
            vec![],
            Map::new(),
            EmptySelection::Allow,
        )
        .await
        .unwrap();
    assert_eq!(
        job.wait(Some(Duration::from_secs(5))).await.unwrap(),
        JobStatus::Successful
    );
}

/// A launch's overrides change the job's template, not the stored one, and the job stays the
/// stored template's (found by its id); a bad override is refused like a bad template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overridden_templates_keep_their_id() {
    let ex = exec(1, 10).await;
    let stored = ex
        .create_template(command("t", &["true"], |_| {}))
        .await
        .unwrap();
    let patch = TemplateSpec {
        verbosity: Some(2),
        tags: Some(crate::template::CsvList(vec!["web".into()])),
        ..Default::default()
    };
    let job = ex
        .submit(
            TemplateRef::Overridden(stored.id.to_string(), Box::new(patch)),
            hosts(1),
            Map::new(),
        )
        .await
        .unwrap();
    assert_eq!(job.template_id, Some(stored.id));
    assert_eq!(
        (job.template.verbosity, job.template.tags.clone()),
        (2, vec!["web".to_string()])
    );
    assert_eq!(
        ex.get_template("t").await.unwrap().verbosity,
        0,
        "the stored one is unchanged"
    );
    job.wait(Some(Duration::from_secs(10))).await.unwrap();
    let listed = ex
        .list(None, Some(&stored.id.to_string()), JobOrder::Desc, None, 0)
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [job.id]);
    let bad = TemplateSpec {
        verbosity: Some(9),
        ..Default::default()
    };
    let refused = ex
        .submit(
            TemplateRef::Overridden("t".into(), Box::new(bad)),
            hosts(1),
            Map::new(),
        )
        .await;
    assert!(
        matches!(&refused, Err(Error::Validation(v)) if v.field == "verbosity"),
        "{:?}",
        refused.err()
    );
}

/// The inventory that selected a job's hosts is the one its run uses: read once, at
/// submission (here it is broken between submission and the run, and the job still runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_reads_its_inventory_once() {
    let dir = std::env::temp_dir().join(format!("airs-once-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("hosts.ini");
    std::fs::write(&inv, "[web]\nw1\nw2\n[db]\nd1\n").unwrap();
    let ex = exec(1, 10).await;
    ex.create_template(command("busy", &["sleep", "30"], |_| {}))
        .await
        .unwrap();
    ex.create_template(command("inv", &["echo", "{host}"], |s| {
        s.inventory = Some(inv.display().to_string());
        s.target = Some("web".into());
    }))
    .await
    .unwrap();
    // The one worker is busy: the inventory job waits in the queue.
    let busy = ex
        .submit(TemplateRef::Stored("busy".into()), hosts(1), Map::new())
        .await
        .unwrap();
    while busy.status() == JobStatus::Pending {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let job = ex
        .submit(TemplateRef::Stored("inv".into()), vec![], Map::new())
        .await
        .unwrap();
    assert_eq!(job.hosts, ["w1", "w2"]);
    std::fs::write(&inv, "[web\n").unwrap();
    assert!(busy.cancel().await.unwrap());
    assert_eq!(
        job.wait(Some(Duration::from_secs(10))).await.unwrap(),
        JobStatus::Successful,
        "{:?}",
        job.snapshot().error
    );
    // A new job reads the file as it is now: its error names the inventory.
    let e = ex
        .submit(TemplateRef::Stored("inv".into()), vec![], Map::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Inventory(InventoryError::Syntax { line: Some(1), .. })
        ),
        "{e:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_full_and_closed() {
    let ex = exec(1, 1).await;
    ex.create_template(command("slow", &["sleep", "5"], |_| {}))
        .await
        .unwrap();
    let running = ex
        .submit(TemplateRef::Stored("slow".into()), hosts(1), Map::new())
        .await
        .unwrap();
    // Wait until the worker took it, so the queue has room for exactly one.
    while running.status() == JobStatus::Pending {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let queued = ex
        .submit(TemplateRef::Stored("slow".into()), hosts(1), Map::new())
        .await
        .unwrap();
    let full = ex
        .submit(TemplateRef::Stored("slow".into()), hosts(1), Map::new())
        .await;
    assert!(matches!(full, Err(Error::QueueFull(1))));
    ex.shutdown(false).await;
    assert_eq!(running.status(), JobStatus::Canceled);
    assert_eq!(queued.status(), JobStatus::Canceled);
    assert!(matches!(
        ex.submit(TemplateRef::Stored("slow".into()), hosts(1), Map::new())
            .await,
        Err(Error::ExecutorClosed)
    ));
    assert_eq!(ex.stats().pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_and_marks_hosts() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["sleep", "30"], |s| {
        s.timeout = Some(1);
        s.forks = Some(2);
    }))
    .await
    .unwrap();
    let t0 = Instant::now();
    let job = ex
        .submit(TemplateRef::Stored("t".into()), hosts(3), Map::new())
        .await
        .unwrap();
    assert_eq!(job.wait(None).await.unwrap(), JobStatus::Timeout);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let r = job.results();
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|r| r.status == HostStatus::Timeout), "{r:?}");
    assert_eq!(r.iter().filter(|r| r.attempts == 0).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_pending_and_running() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["sleep", "30"], |_| {}))
        .await
        .unwrap();
    let a = ex
        .submit(TemplateRef::Stored("t".into()), hosts(1), Map::new())
        .await
        .unwrap();
    let b = ex
        .submit(TemplateRef::Stored("t".into()), hosts(1), Map::new())
        .await
        .unwrap();
    assert!(b.cancel().await.unwrap());
    assert_eq!(b.status(), JobStatus::Canceled);
    while a.status() == JobStatus::Pending {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(a.cancel().await.unwrap());
    assert_eq!(
        a.wait(Some(Duration::from_secs(5))).await.unwrap(),
        JobStatus::Canceled
    );
    assert!(
        !a.cancel().await.unwrap(),
        "a finished job cannot be canceled again"
    );
    assert_eq!(a.results()[0].status, HostStatus::Canceled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_timeout_leaves_job_running() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["sleep", "1"], |_| {}))
        .await
        .unwrap();
    let job = ex
        .submit(TemplateRef::Stored("t".into()), hosts(1), Map::new())
        .await
        .unwrap();
    let e = job.wait(Some(Duration::from_millis(50))).await.unwrap_err();
    assert!(matches!(e, Error::WaitTimeout(_)));
    assert_eq!(job.wait(None).await.unwrap(), JobStatus::Successful);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_count_delete() {
    let ex = exec(2, 100).await;
    ex.create_template(command("ok", &["true"], |_| {}))
        .await
        .unwrap();
    ex.create_template(command("bad", &["false"], |_| {}))
        .await
        .unwrap();
    let mut jobs = Vec::new();
    for name in ["ok", "bad", "ok"] {
        jobs.push(
            ex.submit(TemplateRef::Stored(name.into()), hosts(1), Map::new())
                .await
                .unwrap(),
        );
    }
    for j in &jobs {
        j.wait(None).await.unwrap();
    }
    assert_eq!(
        ex.count(Some(JobStatus::Successful), None).await.unwrap(),
        2
    );
    assert_eq!(ex.count(None, Some("bad")).await.unwrap(), 1);
    let page = ex
        .list(None, None, JobOrder::Asc, Some(1), 1)
        .await
        .unwrap();
    assert_eq!(page[0].id, jobs[1].id);
    // Newest first by default: the last submitted comes first.
    let newest = ex
        .list(None, None, JobOrder::default(), None, 0)
        .await
        .unwrap();
    let ids: Vec<_> = newest.iter().map(|j| j.id).collect();
    assert_eq!(ids, [jobs[2].id, jobs[1].id, jobs[0].id]);
    ex.delete(&jobs[0].id.to_string()).await.unwrap();
    assert_eq!(ex.count(None, None).await.unwrap(), 2);
    assert!(matches!(
        ex.get(&jobs[0].id.to_string()).await,
        Err(Error::JobNotFound(_))
    ));
    assert_eq!(
        ex.get(&jobs[2].id.to_string()).await.unwrap().id,
        jobs[2].id
    );
    assert_eq!(ex.stats().jobs_by_status["successful"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_rejected_before_queueing() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["true"], |_| {}))
        .await
        .unwrap();
    let e = ex
        .submit(
            TemplateRef::Stored("t".into()),
            vec!["-oProxyCommand=x".into()],
            Map::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Validation(v) if v.field == "hosts"));
    assert!(matches!(
        ex.submit(TemplateRef::Stored("nope".into()), vec![], Map::new())
            .await,
        Err(Error::TemplateNotFound(_))
    ));
    assert_eq!(ex.count(None, None).await.unwrap(), 0);
    let bad = ExecutorConfig {
        queue_size: 0,
        ..Default::default()
    };
    assert!(
        matches!(Executor::start(bad, &Handle::current()).await, Err(Error::Validation(v)) if v.field == "queue_size")
    );
    let bad = ExecutorConfig {
        store: Some("mysql://x/db".into()),
        ..Default::default()
    };
    assert!(Executor::start(bad, &Handle::current()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_runs_queued_jobs() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["true"], |_| {}))
        .await
        .unwrap();
    let mut jobs: Vec<Arc<JobHandle>> = Vec::new();
    for _ in 0..5 {
        jobs.push(
            ex.submit(TemplateRef::Stored("t".into()), hosts(2), Map::new())
                .await
                .unwrap(),
        );
    }
    ex.shutdown(true).await;
    assert!(jobs.iter().all(|j| j.status() == JobStatus::Successful));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_stays_inside_its_host_and_the_executor_keeps_serving() {
    let ex = exec(1, 10).await;
    ex.create_template(command("t", &["true"], |_| {}))
        .await
        .unwrap();
    let two = vec![
        "h0".to_string(),
        crate::runner::PANIC_HOST_FOR_TESTS.to_string(),
    ];
    let job = ex
        .submit(TemplateRef::Stored("t".into()), two, Map::new())
        .await
        .unwrap();
    assert_eq!(job.wait(None).await.unwrap(), JobStatus::Error);
    let r = job.results();
    assert_eq!(r[0].status, HostStatus::Passed);
    assert_eq!(r[1].status, HostStatus::Error);
    assert!(r[1]
        .message
        .as_deref()
        .unwrap()
        .contains("injected test panic"));
    let next = ex
        .submit(TemplateRef::Stored("t".into()), hosts(2), Map::new())
        .await
        .unwrap();
    assert_eq!(next.wait(None).await.unwrap(), JobStatus::Successful);
}

/// A store URL per test: a fresh SQLite file, or memory.
fn store_url(backend: &str) -> Option<String> {
    (backend == "sqlite").then(|| {
        let dir = std::env::temp_dir().join(format!("airs-exec-{}", uuid::Uuid::new_v4()));
        format!("sqlite://{}/jobs.db", dir.display())
    })
}

async fn exec_on(backend: &str, workers: usize, queue_size: usize) -> Executor {
    let cfg = ExecutorConfig {
        workers,
        queue_size,
        store: store_url(backend),
        ..Default::default()
    };
    Executor::start(cfg, &Handle::current()).await.unwrap()
}

/// 200 submits at once against a queue of 20 (no worker takes any): exactly 20 are
/// admitted, the others get QueueFull. Counting then inserting let more than 20 in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_is_atomic() {
    for backend in ["memory", "sqlite"] {
        let ex = exec_on(backend, 0, 20).await;
        ex.create_template(command("t", &["true"], |_| {}))
            .await
            .unwrap();
        let submits: Vec<_> = (0..200)
            .map(|_| {
                let ex = ex.clone();
                tokio::spawn(async move {
                    ex.submit(TemplateRef::Stored("t".into()), hosts(1), Map::new())
                        .await
                })
            })
            .collect();
        let (mut admitted, mut full) = (0, 0);
        for s in submits {
            match s.await.unwrap() {
                Ok(_) => admitted += 1,
                Err(Error::QueueFull(20)) => full += 1,
                Err(e) => panic!("{backend}: {e}"),
            }
        }
        assert_eq!((backend, admitted, full), (backend, 20, 180));
        assert_eq!(ex.count(Some(JobStatus::Pending), None).await.unwrap(), 20);
        ex.shutdown(false).await;
    }
}

/// Many instant jobs (no hosts), each awaited by several waiters at once (as a client and
/// the server's metrics do): the moment a wait returns, the handle reads a terminal
/// status. A waiter's read of the store begun before the end was stored must not put
/// `running` back after another waiter returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_returned_wait_always_reads_a_terminal_status() {
    for backend in ["memory", "sqlite"] {
        let ex = exec_on(backend, 4, 10_000).await;
        ex.create_template(command("t", &["true"], |_| {}))
            .await
            .unwrap();
        let mut waiters = tokio::task::JoinSet::new();
        for i in 0..1000 {
            // Half of them check no host at all: the quickest jobs there are.
            let job = ex
                .submit_with(
                    TemplateRef::Stored("t".into()),
                    hosts(i % 2),
                    Map::new(),
                    EmptySelection::Allow,
                )
                .await
                .unwrap();
            for _ in 0..3 {
                let job = job.clone();
                waiters.spawn(async move {
                    let ended = job.wait(Some(Duration::from_secs(30))).await.unwrap();
                    (ended, job.status(), job.snapshot().status)
                });
            }
        }
        while let Some(w) = waiters.join_next().await {
            let (ended, now, snap) = w.unwrap();
            assert!(ended.is_terminal(), "{backend}: wait returned {ended:?}");
            assert_eq!((backend, now, snap), (backend, ended, ended));
        }
        ex.shutdown(false).await;
    }
}

/// Hosts finishing in reverse order: whatever order a store keeps, every read of the job (the live handle and a view of the stored record) lists them in host order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_read_in_host_order_from_every_store() {
    for backend in ["memory", "sqlite"] {
        let ex = exec_on(backend, 2, 10).await;
        let script = "case {host} in h0) sleep 0.8;; h1) sleep 0.4;; esac";
        ex.create_template(command("rev", &["sh", "-c", script], |_| {}))
            .await
            .unwrap();
        let job = ex
            .submit(TemplateRef::Stored("rev".into()), hosts(3), Map::new())
            .await
            .unwrap();
        assert_eq!(job.wait(None).await.unwrap(), JobStatus::Successful);
        let names = |r: &[crate::job::HostResult]| -> Vec<String> {
            r.iter().map(|r| r.host.clone()).collect()
        };
        let rec = ex.inner.store.get_job(job.id).await.unwrap().unwrap();
        if backend == "memory" {
            // The memory store keeps completion order: this read is what the sort is for.
            assert_eq!(names(&rec.results), ["h2", "h1", "h0"], "stored");
        }
        assert_eq!(names(&job.results()), ["h0", "h1", "h2"], "{backend}: live");
        let view = ex.inner.view(rec);
        assert_eq!(
            names(&view.results()),
            ["h0", "h1", "h2"],
            "{backend}: view"
        );
    }
}
