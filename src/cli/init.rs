//! `kiln init`: scaffolds a new app from flags, or by asking when standard input is a
//! terminal and a value is missing.
//!
//! The file written is generated as text, parsed, put in the canonical layout by the
//! formatter and checked by the same `kiln::analyze` as `kiln check` before anything is
//! written: a scaffold that does not check clean is a kiln bug (tests/init.rs checks
//! every template), and a bad `--image` or `--name` is refused with the diagnostic
//! instead of leaving a broken file behind. The file is written atomically and never
//! replaces an existing one without `--force`.

use super::output::{Printer, count};
use super::{EXIT_INPUT, EXIT_IO};
use crate::Source;
use clap::{Args, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// `kiln init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write: a `.kiln` file, or a directory (created if missing) that gets
    /// `app.kiln`. Default: `app.kiln` in the current directory.
    #[arg(value_name = "DIR|FILE")]
    pub path: Option<PathBuf>,
    /// The shape of the app.
    #[arg(long, value_enum, value_name = "TEMPLATE")]
    pub template: Option<Template>,
    /// The app's name: lowercase letters, digits and `-`, starting with a letter.
    #[arg(long, value_name = "APP")]
    pub name: Option<String>,
    /// The container image, pinned to a tag or digest (default
    /// `registry.example.com/APP:0.1.0`).
    #[arg(long, value_name = "IMG")]
    pub image: Option<String>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The app shapes `kiln init` can write.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Template {
    /// `std/rails`: Puma web, Sidekiq queue, `db:migrate` before each release.
    Rails,
    /// `std/node`: one Node.js web service.
    Node,
    /// `std/python-wsgi`: Gunicorn web service and Django migrations.
    PythonWsgi,
    /// One service written out, no standard module.
    Plain,
}

impl Template {
    /// Every template, in the order prompts list them.
    pub const ALL: [Template; 4] = [
        Template::Rails,
        Template::Node,
        Template::PythonWsgi,
        Template::Plain,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Template::Rails => "rails",
            Template::Node => "node",
            Template::PythonWsgi => "python-wsgi",
            Template::Plain => "plain",
        }
    }

    fn parse(s: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// The values a scaffold is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// The app's name.
    pub name: String,
    /// Its shape.
    pub template: Template,
    /// Its image.
    pub image: String,
}

/// The image suggested for an app.
pub fn default_image(name: &str) -> String {
    format!("registry.example.com/{name}:0.1.0")
}

/// Why a name cannot be an app's name, or None.
pub fn name_problem(name: &str) -> Option<String> {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if crate::check::values::is_dns_label(name) && starts_with_letter {
        return None;
    }
    let lower = name.to_ascii_lowercase().replace(['_', ' ', '.'], "-");
    let hint = if lower != name
        && crate::check::values::is_dns_label(&lower)
        && lower.starts_with(|c: char| c.is_ascii_lowercase())
    {
        format!(" (try `{lower}`)")
    } else {
        String::new()
    };
    Some(format!(
        "`{name}` is not an app name: use lowercase letters, digits and `-`, starting with a letter, at most 63 characters{hint}"
    ))
}

/// A default app name from a directory's name (`My_Shop` → `my-shop`), if one can be made.
fn name_from_dir(dir: &Path) -> Option<String> {
    let base = std::path::absolute(dir).ok()?;
    let raw = base.file_name()?.to_string_lossy().to_ascii_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').chars().take(40).collect();
    let name = name.trim_end_matches('-').to_string();
    name_problem(&name).is_none().then_some(name)
}

/// The source of the scaffold, before formatting.
pub fn scaffold(a: &Answers) -> String {
    let (name, image) = (&a.name, &a.image);
    match a.template {
        Template::Rails => format!(
            "// {name}: a Rails app made by `kiln init --template rails`: a Puma web front, a\n\
             // Sidekiq queue, and `db:migrate` before each release (docs/stdlib.md, std/rails).\n\
             // Next: create the Secrets it refers to, then `kiln compile` this file.\n\
             import \"std/rails\"\n\n\
             app {name} {{\n\
             image = \"{image}\"\n\n\
             env {{\n\
             RAILS_ENV = \"production\"\n\
             DATABASE_URL = secret(\"{name}-db\", \"url\")\n\
             REDIS_URL = secret(\"{name}-redis\", \"url\")\n\
             }}\n\n\
             job migrate = rails_migrate() {{ }}\n\
             service web = rails_web() {{ }}\n\
             worker queue = sidekiq() {{ }}\n\
             }}\n\n\
             // `--profile staging` applies it (check, compile, plan, diff).\n\
             profile staging {{\n\
             {name}.web.replicas = 1\n\
             {name}.env.RAILS_ENV = \"staging\"\n\
             }}\n"
        ),
        Template::Node => format!(
            "// {name}: a Node.js web service made by `kiln init --template node`\n\
             // (docs/stdlib.md, std/node). It listens on `PORT` and answers `/healthz`.\n\
             import \"std/node\"\n\n\
             app {name} {{\n\
             image = \"{image}\"\n\n\
             service web = node_web() {{ }}\n\
             }}\n\n\
             // `--profile staging` applies it (check, compile, plan, diff).\n\
             profile staging {{\n\
             {name}.web.replicas = 1\n\
             }}\n"
        ),
        Template::PythonWsgi => {
            let module = name.replace('-', "_");
            format!(
                "// {name}: a Python WSGI app made by `kiln init --template python-wsgi`: Gunicorn\n\
                 // serving `{module}.wsgi:application`, Django migrations before each release\n\
                 // (docs/stdlib.md, std/python-wsgi). Next: create the Secret it refers to.\n\
                 import \"std/python-wsgi\"\n\n\
                 app {name} {{\n\
                 image = \"{image}\"\n\n\
                 env {{\n\
                 DJANGO_SETTINGS_MODULE = \"{module}.settings\"\n\
                 DATABASE_URL = secret(\"{name}-db\", \"url\")\n\
                 }}\n\n\
                 job migrate = django_migrate() {{ }}\n\
                 service web = wsgi_web(module = \"{module}.wsgi:application\") {{ }}\n\
                 }}\n\n\
                 // `--profile staging` applies it (check, compile, plan, diff).\n\
                 profile staging {{\n\
                 {name}.web.replicas = 1\n\
                 }}\n"
            )
        }
        Template::Plain => format!(
            "// {name}: one web service made by `kiln init --template plain`\n\
             // (docs/language.md lists every block and field).\n\
             app {name} {{\n\
             image = \"{image}\"\n\n\
             service web {{\n\
             port = 8080\n\
             replicas = 2\n\
             health = http(\"/healthz\")\n\
             cpu = 100m .. 500m\n\
             memory = 128Mi .. 256Mi\n\
             }}\n\
             }}\n\n\
             // `--profile staging` applies it (check, compile, plan, diff).\n\
             profile staging {{\n\
             {name}.web.replicas = 1\n\
             }}\n"
        ),
    }
}

/// The scaffold in the canonical layout, checked: the text, or the diagnostics (with the
/// source they point into) when it does not check clean.
pub fn render(a: &Answers, file_name: &str) -> Result<String, Box<(Source, crate::Analysis)>> {
    let raw = scaffold(a);
    let (ast, _) = crate::syntax::parse(crate::source::FileId(0), &raw);
    let text = crate::syntax::fmt::format(&ast, &raw);
    let source = Source::from_text(file_name, text.clone());
    let analysis = crate::analyze(&source, &crate::Options::default());
    if analysis.diagnostics.is_empty() && analysis.model.is_some() {
        Ok(text)
    } else {
        Err(Box::new((source, analysis)))
    }
}

/// Asks for each missing value on `output`, reading answers from `input`; an empty
/// answer takes the default shown. An invalid answer is asked again, three times at
/// most; the end of the input is an error.
pub fn ask(
    input: &mut impl BufRead,
    output: &mut impl Write,
    name: Option<String>,
    template: Option<Template>,
    image: Option<String>,
    default_name: Option<String>,
) -> Result<Answers, String> {
    let name = match name {
        Some(n) => n,
        None => prompt(input, output, "app name", default_name.as_deref(), |s| {
            name_problem(s).map_or(Ok(s.to_string()), Err)
        })?,
    };
    let template = match template {
        Some(t) => t,
        None => {
            let list = Template::ALL.map(Template::name).join(", ");
            prompt(
                input,
                output,
                &format!("template ({list})"),
                Some("rails"),
                |s| Template::parse(s).ok_or_else(|| format!("`{s}` is not one of {list}")),
            )?
        }
    };
    let image = match image {
        Some(i) => i,
        None => prompt(input, output, "image", Some(&default_image(&name)), |s| {
            Ok(s.to_string())
        })?,
    };
    Ok(Answers {
        name,
        template,
        image,
    })
}

fn prompt<T>(
    input: &mut impl BufRead,
    output: &mut impl Write,
    question: &str,
    default: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, String> {
    for _ in 0..3 {
        let shown = default.map(|d| format!(" [{d}]")).unwrap_or_default();
        let _ = write!(output, "{question}{shown}: ");
        let _ = output.flush();
        let mut line = String::new();
        // A bounded answer: a pasted megabyte is not a name.
        let read = std::io::Read::take(&mut *input, 4096).read_line(&mut line);
        match read {
            Ok(0) => return Err(format!("no answer for the {question}: input ended")),
            Ok(_) => {}
            Err(e) => return Err(format!("cannot read the answer: {e}")),
        }
        let answer = line.trim();
        let answer = if answer.is_empty() {
            match default {
                Some(d) => d,
                None => {
                    let _ = writeln!(output, "an answer is needed");
                    continue;
                }
            }
        } else {
            answer
        };
        match parse(answer) {
            Ok(v) => return Ok(v),
            Err(why) => {
                let _ = writeln!(output, "{why}");
            }
        }
    }
    Err(format!("no valid {question} after three answers"))
}

/// Where the file goes: FILE as given, or `app.kiln` in DIR.
fn target(path: Option<&Path>) -> PathBuf {
    match path {
        None => PathBuf::from("app.kiln"),
        Some(p) if p.extension().is_some_and(|e| e == "kiln") && !p.is_dir() => p.to_path_buf(),
        Some(p) => p.join("app.kiln"),
    }
}

/// Runs `kiln init`.
pub fn run(a: &InitArgs, printer: Printer) -> u8 {
    let file = target(a.path.as_deref());
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if file.exists() && !a.force {
        printer.failure(&format!(
            "`{}` already exists; pass `--force` to replace it",
            file.display()
        ));
        return EXIT_INPUT;
    }
    if let Some(n) = &a.name
        && let Some(why) = name_problem(n)
    {
        printer.failure(&why);
        return EXIT_INPUT;
    }
    // On a terminal, any missing value is asked for (the image too, its default shown);
    // elsewhere the name and the template must be given, and nothing waits for input.
    let complete = a.name.is_some() && a.template.is_some() && a.image.is_some();
    let answers = if complete || !std::io::stdin().is_terminal() {
        let missing: Vec<&str> = [
            (a.name.is_none(), "`--name APP`"),
            (
                a.template.is_none(),
                "`--template rails|node|python-wsgi|plain`",
            ),
        ]
        .into_iter()
        .filter_map(|(m, flag)| m.then_some(flag))
        .collect();
        if !missing.is_empty() {
            printer.failure(&format!(
                "standard input is not a terminal, so `kiln init` cannot ask: pass {}",
                missing.join(" and ")
            ));
            return EXIT_INPUT;
        }
        let name = a.name.clone().unwrap_or_default();
        Answers {
            image: a.image.clone().unwrap_or_else(|| default_image(&name)),
            name,
            template: a.template.unwrap_or(Template::Plain),
        }
    } else {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        // Questions on stderr: stdout stays for what scripts read.
        let mut output = std::io::stderr();
        match ask(
            &mut input,
            &mut output,
            a.name.clone(),
            a.template,
            a.image.clone(),
            name_from_dir(&dir),
        ) {
            Ok(answers) => answers,
            Err(why) => {
                printer.failure(&why);
                return EXIT_INPUT;
            }
        }
    };
    let text = match render(&answers, &file.display().to_string()) {
        Ok(t) => t,
        Err(failed) => {
            let (source, analysis) = *failed;
            printer.diagnostics(&analysis.diagnostics.0, &source.map);
            let (e, w) = count(&analysis.diagnostics.0);
            printer.summary(e, w);
            printer.failure(&format!(
                "nothing written: the scaffold for `{}` does not check clean (see above)",
                answers.name
            ));
            return EXIT_INPUT;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        printer.failure(&format!("cannot create `{}`: {e}", dir.display()));
        return EXIT_IO;
    }
    // Checked again just before writing: the file may have appeared while we asked.
    if file.exists() && !a.force {
        printer.failure(&format!(
            "`{}` already exists; pass `--force` to replace it",
            file.display()
        ));
        return EXIT_INPUT;
    }
    if let Err(e) = crate::fsio::write_file_atomic(&file, text.as_bytes()) {
        printer.failure(&format!("cannot write `{}`: {e}", file.display()));
        return EXIT_IO;
    }
    println!(
        "wrote {} ({} app `{}`); next: kiln check {}",
        file.display(),
        answers.template.name(),
        answers.name,
        file.display()
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(template: Template) -> Answers {
        Answers {
            name: "shop-api".into(),
            template,
            image: default_image("shop-api"),
        }
    }

    #[test]
    fn every_template_checks_clean_and_is_formatted() {
        for t in Template::ALL {
            let text = match render(&answers(t), "app.kiln") {
                Ok(text) => text,
                Err(failed) => panic!(
                    "{}:\n{}",
                    t.name(),
                    crate::diag::render::to_text(&failed.1.diagnostics.0, &failed.0.map, false)
                ),
            };
            let (ast, d) = crate::syntax::parse(crate::source::FileId(0), &text);
            assert!(d.is_empty());
            assert_eq!(
                crate::syntax::fmt::format(&ast, &text),
                text,
                "{}",
                t.name()
            );
        }
    }

    #[test]
    fn a_latest_image_is_refused() {
        let mut a = answers(Template::Node);
        a.image = "node:latest".into();
        assert!(render(&a, "app.kiln").is_err());
    }

    #[test]
    fn names() {
        assert!(name_problem("shop").is_none());
        assert!(name_problem("shop-2").is_none());
        let why = name_problem("My_Shop").unwrap_or_default();
        assert!(why.contains("try `my-shop`"), "{why}");
        assert!(name_problem("2shop").is_some());
        assert!(name_problem("").is_some());
        assert_eq!(
            name_from_dir(Path::new("/tmp/My_Shop")).as_deref(),
            Some("my-shop")
        );
    }

    #[test]
    fn asks_for_missing_values_with_defaults() {
        let mut input = "\nnope\npython-wsgi\nregistry.example.com/x:1.2.3\n".as_bytes();
        let mut output = Vec::new();
        let a = ask(
            &mut input,
            &mut output,
            None,
            None,
            None,
            Some("blog".into()),
        )
        .unwrap();
        assert_eq!(a.name, "blog");
        assert_eq!(a.template, Template::PythonWsgi);
        assert_eq!(a.image, "registry.example.com/x:1.2.3");
        let shown = String::from_utf8(output).unwrap();
        assert!(shown.contains("app name [blog]: "), "{shown}");
        assert!(shown.contains("[rails]: "), "{shown}");
        assert!(shown.contains("`nope` is not one of"), "{shown}");
    }

    #[test]
    fn asking_stops_at_the_end_of_input_and_after_three_bad_answers() {
        let mut output = Vec::new();
        let e = ask(&mut "".as_bytes(), &mut output, None, None, None, None).unwrap_err();
        assert!(e.contains("input ended"), "{e}");
        let mut input = "A\nB\nC\nd\n".as_bytes();
        let e = ask(&mut input, &mut output, None, None, None, None).unwrap_err();
        assert!(e.contains("three answers"), "{e}");
        // Defaults everywhere but the name.
        let mut input = "shop\n\n\n".as_bytes();
        let a = ask(&mut input, &mut output, None, None, None, None).unwrap();
        assert_eq!(
            a,
            Answers {
                name: "shop".into(),
                template: Template::Rails,
                image: default_image("shop"),
            }
        );
    }
}
