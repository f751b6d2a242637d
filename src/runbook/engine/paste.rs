//! Path A's half of the engine: the value to the clipboard, and the operator's manual
//! steps — a manual consumer's confirmation is its proof; a paste on GitHub is proven by
//! the secret's `updated_at` moving past the moment the value was copied.

use crate::secret::Token;
use crate::session::event::{EventKind, Store};

use super::StepParams;
use super::actions::done;
use super::{Done, Engine, EngineError, PlannedStep};

impl Engine {
    pub(crate) async fn copy_to_clipboard(&mut self, p: &StepParams) -> Result<Done, EngineError> {
        let token = self.token(p)?.clone();
        if self.deps().dry_run {
            return Ok(done(&format!(
                "dry run: would copy {} to the clipboard",
                token.fingerprint()
            )));
        }
        // What a paste must move past: GitHub's `updated_at` as the value leaves keyturn.
        self.github_baseline = self.github_updated_at().await;
        self.deps_mut()
            .clipboard
            .copy(&token)
            .map_err(EngineError::Step)?;
        self.emit(EventKind::ClipboardCopied {
            fingerprint: token.fingerprint(),
            clear_after_secs: 30,
        })?;
        Ok(done(&format!(
            "copied {} to the clipboard",
            token.fingerprint()
        )))
    }

    /// GitHub's `updated_at` for the secret, when it can be read (`UNIX_EPOCH` if absent).
    async fn github_updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let github = self.deps().vendors.github.as_ref()?;
        let name = self.deps().config.secret.name.to_string();
        match github.secret_seen(&name).await {
            Ok((meta, _)) => Some(meta.map_or(chrono::DateTime::UNIX_EPOCH, |m| m.updated_at)),
            Err(_) => None,
        }
    }

    /// An operator step. A manual consumer's confirmation is its proof; a paste on GitHub
    /// (`store = "github"`) is proven by the secret's `updated_at` moving past the copy.
    pub(crate) async fn manual(
        &mut self,
        planned: &PlannedStep,
        p: &StepParams,
    ) -> Result<Done, EngineError> {
        let covers = self.covers(planned);
        let Some(store) = covers.first().cloned() else {
            return Ok(done("confirmed by the operator"));
        };
        if self.deps().dry_run {
            return Ok(done("dry run: the operator would confirm"));
        }
        let (token, source) = match p.source {
            Some(source) => (self.token(p)?.clone(), source),
            None => self.manual_token()?,
        };
        self.emit(EventKind::WriteSent {
            store: store.clone(),
            fingerprint: token.fingerprint(),
            source,
        })?;
        let proof = if store == Store::Github {
            self.prove_paste().await?
        } else {
            "confirmed by the operator".to_owned()
        };
        self.emit(EventKind::SecretWritten {
            store,
            fingerprint: token.fingerprint(),
            version: None,
            proof: Some(proof.clone()),
            source: Some(source),
            by_operator: true,
        })?;
        Ok(done(&proof))
    }

    /// The value a manual step puts in place: the minted one in a rotation, else the vault's.
    fn manual_token(&self) -> Result<(Token, super::Source), EngineError> {
        let source = if self.secrets.new.is_some() {
            super::Source::New
        } else {
            super::Source::Vault
        };
        self.secrets
            .get(source)
            .cloned()
            .map(|t| (t, source))
            .ok_or_else(|| EngineError::Step("this session holds no token to paste".into()))
    }

    /// The GitHub secret changed after the value was copied.
    async fn prove_paste(&self) -> Result<String, EngineError> {
        let (Some(github), Some(baseline)) = (&self.deps().vendors.github, self.github_baseline)
        else {
            return Ok(
                "confirmed by the operator (GitHub's secret metadata is not readable here)"
                    .to_owned(),
            );
        };
        let name = self.deps().config.secret.name.to_string();
        let (meta, _) = github.secret_seen(&name).await?;
        match meta.map(|m| m.updated_at) {
            Some(after) if after > baseline => Ok(format!(
                "pasted by hand; GitHub's updated_at moved to {}",
                after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            _ => Err(EngineError::Unproven {
                store: "GitHub secret".into(),
                why: format!(
                    "GitHub's {name} was not updated since the value was copied: paste it on the secrets page, press \"Update secret\", then retry (t)"
                ),
            }),
        }
    }
}
