//! Why a command ended badly, and so which exit code it gets.

#[derive(Debug)]
pub enum Failure {
    /// Bad input: flags, JSON, a store that cannot be opened, a file that is not runnable (exit 2).
    Usage(String),
    /// The script or a workflow failed, or the answer is "not found" (exit 1).
    Failed(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Failed(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Failed(m) => m,
        }
    }
}
