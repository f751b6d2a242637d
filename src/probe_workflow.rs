//! The probe workflow keyturn ships (`examples/github/keyturn-probe.yml`), embedded so
//! `keyturn probe print` writes exactly the file the tests run, and the simulator echoes
//! exactly its script in the job logs it serves.
//!
//! GitHub never returns a secret's value, so the only way to see what the write-only copy
//! holds is to let a workflow that can read it print a proof: an HMAC keyed by a fresh
//! nonce, never the value. The line format lives here too, shared by the parser on the
//! client side and the simulator, so the two cannot drift apart.

use crate::config::SecretName;

/// The workflow file, as shipped (for the secret `HEROKU_API_KEY`, no environment).
pub const WORKFLOW: &str = include_str!("../examples/github/keyturn-probe.yml");

/// The file name keyturn's docs and the simulator use for it.
pub const FILE_NAME: &str = "keyturn-probe.yml";

/// Every probe line starts with this word.
pub const LINE_PREFIX: &str = "keyturn-probe";

/// What the line prints for `fp` and `account` when the secret is not set.
pub const EMPTY_FP: &str = "empty";
pub const NO_ACCOUNT: &str = "none";

/// The secret name the shipped file reads.
const DEFAULT_SECRET: &str = "HEROKU_API_KEY";

/// The commented line `--environment` replaces.
const ENVIRONMENT_MARKER: &str = "    # environment: NAME";

/// Why `keyturn probe print` refused its arguments.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("--secret: {0}")]
    Secret(String),
    #[error(
        "--environment `{0}`: use 1–255 letters, digits, spaces, `.`, `_` or `-` (a GitHub environment name)"
    )]
    Environment(String),
}

/// The workflow for `secret`, reading it from `environment`'s secrets when given.
pub fn render(secret: &str, environment: Option<&str>) -> Result<String, RenderError> {
    let name = SecretName::parse(secret).map_err(RenderError::Secret)?;
    let text = WORKFLOW.replace(DEFAULT_SECRET, name.as_str());
    let Some(env) = environment else {
        return Ok(text);
    };
    if !valid_environment(env) {
        return Err(RenderError::Environment(env.to_owned()));
    }
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with(ENVIRONMENT_MARKER) {
                format!("    environment: '{env}'")
            } else {
                line.to_owned()
            }
        })
        .collect();
    Ok(lines.join("\n") + "\n")
}

/// GitHub's environment names, restricted to what is safe inside a quoted YAML scalar.
fn valid_environment(env: &str) -> bool {
    (1..=255).contains(&env.len())
        && env.trim() == env
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'))
}

/// The `run: |` script of the workflow's step, de-indented: what a runner hands to bash.
pub fn run_script(workflow: &str) -> Option<String> {
    let mut lines = workflow.lines().skip_while(|l| l.trim() != "run: |");
    let header = lines.next()?;
    let base = indent(header);
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || indent(l) > base)
        .collect();
    let cut = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()?;
    let script: Vec<&str> = body.iter().map(|l| l.get(cut..).unwrap_or("")).collect();
    Some(script.join("\n").trim_end().to_owned() + "\n")
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The line the workflow prints: `keyturn-probe nonce=… fp=… account=…`.
pub fn line(nonce: &str, fp: &str, account: &str) -> String {
    format!("{LINE_PREFIX} nonce={nonce} fp={fp} account={account}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_has_one_script_that_prints_the_line() {
        let script = run_script(WORKFLOW).unwrap();
        assert!(script.starts_with("set -euo pipefail\n"), "{script}");
        assert!(script.contains("printf 'keyturn-probe nonce=%s fp=%s account=%s\\n'"));
        assert!(
            !script.contains("${{"),
            "no expression is spliced into the shell"
        );
    }

    #[test]
    fn render_names_the_secret_and_the_environment() {
        let text = render("DEPLOY_KEY", Some("production")).unwrap();
        assert!(text.contains("VALUE: ${{ secrets.DEPLOY_KEY }}"), "{text}");
        assert!(text.contains("\n    environment: 'production'\n"), "{text}");
        assert!(!text.contains("HEROKU_API_KEY"));
        assert_eq!(run_script(&text), run_script(WORKFLOW));
        assert_eq!(render("HEROKU_API_KEY", None).unwrap(), WORKFLOW);
    }

    #[test]
    fn render_refuses_names_that_would_break_the_file() {
        assert!(render("BAD-NAME", None).is_err());
        assert!(render("GITHUB_TOKEN", None).is_err());
        for env in ["", "prod'\nx", " prod", "a:b"] {
            assert!(render("HEROKU_API_KEY", Some(env)).is_err(), "{env:?}");
        }
    }
}
