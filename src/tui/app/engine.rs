//! Engine messages: the runbook view folds them; the app opens the next confirmation, the
//! rotation offer or the postmortem preview, and re-reads the stores a write touched.

use super::{App, Effect};
use crate::drift::DiagnosisKind;
use crate::runbook::engine::Pending;
use crate::session::event::Outcome;
use crate::tui::modal::Modal;
use crate::tui::panels::{Panels, StoreId};
use crate::tui::runbook_view::Touched;
use crate::tui::worker::FromEngine;

impl App {
    pub(super) fn engine(&mut self, message: FromEngine) -> Vec<Effect> {
        let refused = matches!(message, FromEngine::Refused(_));
        let arrived_pending = matches!(message, FromEngine::Pending { .. });
        let touched = match self.view.apply(message) {
            Touched::Probed(shown) => {
                self.panels.probe = Some(*shown);
                Touched::Nothing
            }
            touched => touched,
        };
        let mut effects = touched_effects(touched, &self.panels);
        if refused {
            // The engine did not take the confirmation: the dialog may be answered again.
            self.confirm_sent = None;
            self.show_refusal();
        }
        if arrived_pending {
            effects.extend(self.on_pending());
        }
        effects
    }

    pub(super) fn show_refusal(&mut self) {
        let Some(why) = self.view.refused.take() else {
            return;
        };
        match &mut self.modal {
            Some(Modal::Confirm { error, .. }) => *error = Some(why),
            _ => self.status = Some(why),
        }
    }

    /// The engine stopped for the operator: open the confirmation, or handle the end.
    pub(super) fn on_pending(&mut self) -> Vec<Effect> {
        self.scroll = 0;
        if self.status.as_deref() == Some(super::keys::RUNNING) {
            self.status = None;
        }
        self.confirm_sent = None;
        match self.view.pending.clone() {
            Some(Pending::Confirm { step, .. }) => {
                let same =
                    matches!(&self.modal, Some(Modal::Confirm { step: s, .. }) if *s == step);
                if !same {
                    self.modal = None;
                    self.open_confirm();
                }
                Vec::new()
            }
            Some(Pending::Failed { .. }) => {
                self.modal = None;
                Vec::new()
            }
            Some(Pending::Finished(outcome)) => self.finished(outcome),
            None => Vec::new(),
        }
    }

    pub(super) fn finished(&mut self, outcome: Outcome) -> Vec<Effect> {
        if matches!(self.modal, Some(Modal::Confirm { .. } | Modal::Ask { .. })) {
            self.modal = None;
        }
        if self.picked_by_diagnosis && outcome == Outcome::Stopped && self.rotation_offerable() {
            self.picked_by_diagnosis = false;
            self.offer_rotation();
        }
        match self.view.postmortem_written.clone() {
            Some(path) if self.view.postmortem.is_none() => vec![Effect::LoadPostmortem(path)],
            Some(_) => vec![Effect::RewritePostmortem],
            None => Vec::new(),
        }
    }
    /// The drift runbook found everything in sync, or nothing valid: the rotation is the
    /// next useful thing (for nothing valid, the only way out: it mints a new token).
    pub(super) fn rotation_offerable(&self) -> bool {
        let drift = self.view.runbook.as_ref().map(|r| r.kind)
            == Some(crate::session::event::RunbookKind::DriftRecovery);
        drift
            && matches!(
                self.view.first_diagnosis(),
                Some(DiagnosisKind::InSync | DiagnosisKind::NothingValid)
            )
    }

    pub(super) fn offer_rotation(&mut self) {
        let age = self
            .panels
            .vault
            .value()
            .and_then(|v| v.updated_at)
            .map(|at| (self.now - at).num_days());
        let cadence = crate::drift::ROTATION_CADENCE_DAYS;
        let why = match age {
            _ if self.view.first_diagnosis() == Some(DiagnosisKind::NothingValid) => {
                "No copy validates, not even the vault's: a new token must be minted. The rotation mints one, stores and spreads it; there is nothing to revoke.".to_owned()
            }
            Some(days) if days > cadence => format!(
                "Every copy is in sync and valid, and the vault value is {days} days old: the {cadence}-day rotation is due."
            ),
            Some(days) => format!(
                "Every copy is in sync and valid: nothing to recover (the vault value is {days} days old; rotation every {cadence})."
            ),
            None => "Every copy is in sync and valid: nothing to recover.".to_owned(),
        };
        self.modal = Some(Modal::OfferRotation { why });
    }
}

fn touched_effects(touched: Touched, panels: &Panels) -> Vec<Effect> {
    match touched {
        // The probe's verdict was put on the panel where it arrived.
        Touched::Nothing | Touched::Probed(_) => Vec::new(),
        Touched::Vault => vec![Effect::Refresh(Some(StoreId::Vault))],
        Touched::Github => vec![Effect::Refresh(Some(StoreId::Github))],
        Touched::App(app) => panels
            .apps
            .iter()
            .position(|(name, _)| *name == app)
            .map(|i| vec![Effect::Refresh(Some(StoreId::App(i)))])
            .unwrap_or_default(),
        Touched::Verdicts => vec![Effect::ForgetVerdicts],
    }
}
