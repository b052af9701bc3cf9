//! How the workflows' progress reaches a person: a progress bar on a terminal, lines on stderr,
//! nothing with `-q`.

use std::io::IsTerminal as _;

use crate::core::rollout_status::RolloutStatus;
use crate::ops::Reporter;

pub struct Terminal {
    quiet: bool,
    bar: indicatif::ProgressBar,
}

impl Terminal {
    pub fn new(quiet: bool) -> Terminal {
        Terminal {
            quiet,
            bar: indicatif::ProgressBar::hidden(),
        }
    }
}

impl Reporter for Terminal {
    fn resolving(&self, total: usize, from: &str) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.set_length(total as u64);
        self.bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} resolving {pos}/{len} from {msg}")
                .expect("a valid template"),
        );
        self.bar.set_message(from.to_string());
    }

    fn resolved_one(&self) {
        self.bar.inc(1);
    }

    fn resolved_all(&self) {
        self.bar.finish_and_clear();
    }

    fn rollout(&self, workload: &str, status: &RolloutStatus) {
        if self.quiet {
            return;
        }
        match status {
            RolloutStatus::Waiting(what) => eprintln!("waiting for {workload}: {what}"),
            RolloutStatus::NotWaited(why) => eprintln!("not waiting for {workload}: {why}"),
            RolloutStatus::Done | RolloutStatus::Failed(_) => {}
        }
    }
}
