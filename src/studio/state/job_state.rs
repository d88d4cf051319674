//! The state of a job a dialog started on the worker: running (with its
//! progress and cancel token), done with its outcome, or failed. Its own
//! module, so every dialog's model can hold one.

use crate::interchange::CancelToken;
use crate::studio::report::ErrorReport;
use crate::studio::worker::RequestId;
use crate::studio::worker::jobs::{CancelHandle, JobProgress, Outcome};

/// A job a dialog started on the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum JobState {
    #[default]
    Idle,
    Running {
        id: RequestId,
        progress: Option<JobProgress>,
        /// Set for jobs that can stop half-way (import, export).
        cancel: Option<CancelHandle>,
        cancelling: bool,
    },
    Done(Box<Outcome>),
    Failed(ErrorReport),
}

impl JobState {
    pub fn running(id: RequestId, cancel: Option<CancelToken>) -> JobState {
        JobState::Running {
            id,
            progress: None,
            cancel: cancel.map(CancelHandle),
            cancelling: false,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, JobState::Running { .. })
    }

    pub(super) fn id(&self) -> Option<RequestId> {
        match self {
            JobState::Running { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Asks a running import or export to stop; nothing of it is kept.
    pub fn cancel(&mut self) {
        if let JobState::Running {
            cancel: Some(token),
            cancelling,
            ..
        } = self
        {
            token.0.cancel();
            *cancelling = true;
        }
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            JobState::Done(outcome) => Some(outcome),
            _ => None,
        }
    }
}
