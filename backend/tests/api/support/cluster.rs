//! A PostgreSQL cluster of the test's own, for tests that stop and restart the database.
//! Uses the real server binaries (PG_BINDIR, else PATH, else /usr/lib/postgresql/*/bin); as root
//! the server runs as the `postgres` user because initdb refuses root. It listens on a Unix socket
//! in its own directory only, so it needs no TCP port that another test could take.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use tempfile::TempDir;

pub(crate) struct TestCluster {
    dir: TempDir,
    bindir: PathBuf,
    owner: Option<String>,
}

impl TestCluster {
    pub(crate) fn start() -> Self {
        let bindir = find_bindir();
        let dir = tempfile::Builder::new()
            .prefix("todo-test-pg")
            .tempdir()
            .expect("temp dir");
        let owner = running_as_root().then(|| "postgres".to_owned());
        if let Some(user) = &owner {
            let uid = command_output("id", &["-u", user])
                .trim()
                .parse::<u32>()
                .expect("postgres uid");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown cluster dir");
        }
        let cluster = Self { dir, bindir, owner };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ],
        );
        cluster.start_server();
        cluster
    }

    /// The cluster's `postgres` database over its socket (the `host` parameter names the directory).
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@localhost/postgres?host={}", self.path())
    }

    /// Stops the server (fast shutdown: connections are cut, as in an outage).
    pub(crate) fn stop_server(&self) {
        self.run("pg_ctl", &["-D", &self.data_dir(), "-m", "fast", "-w", "stop"]);
    }

    pub(crate) fn start_server(&self) {
        let options = format!("-k {} -c listen_addresses='' -c fsync=off", self.path());
        let log = format!("{}/server.log", self.path());
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn path(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn data_dir(&self) -> String {
        format!("{}/data", self.path())
    }

    fn run(&self, program: &str, args: &[&str]) {
        let binary = self.bindir.join(program);
        let mut command = match &self.owner {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        let output = command
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("running {program}: {err}"));
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let binary = self.bindir.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = match &self.owner {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&binary)
                .args(args)
                .output(),
            None => Command::new(&binary).args(args).output(),
        };
    }
}

fn find_bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BINDIR").map(PathBuf::from)
        && dir.join("initdb").exists()
    {
        return dir;
    }
    if let Some(dir) =
        std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").exists()))
    {
        return dir;
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.flatten().map(|entry| entry.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|dir| Path::new(dir).join("initdb").exists())
        .expect("PostgreSQL server binaries not found: set PG_BINDIR or install postgresql")
}

fn running_as_root() -> bool {
    command_output("id", &["-u"]).trim() == "0"
}

fn command_output(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().expect("command runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
