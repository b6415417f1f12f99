//! Generates the recorded runs in `exercises/runs/`: one scripted run per
//! sample exercise, written with the real journal API on a simulated clock.
//!
//! These are NOT recordings of real exercises. Each script below says what the
//! players do and when (in exercise minutes); injects are released by the
//! real scheduler (`grabbag::exercise::schedule`) as the simulated clock
//! reaches them, the facilitator's clock changes come from the real
//! `ExerciseClock`, and every entry goes through `Journal::append` (hash chain,
//! fsync). Scores are whatever the real scorer makes of the result; the
//! baseline beside each run records them for `grabbag exercise check`.
//!
//! Run from the repository root:
//!
//! ```text
//! cargo run --example exercise_runs
//! ```

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use grabbag::exercise::clock::started_event;
use grabbag::exercise::files::Baseline;
use grabbag::exercise::{self, Exercise, ExerciseClock, SimulatedTime, Speed, schedule};
use grabbag::journal::{Actor, Event, Journal, LessonCategory, NewJournal};
use grabbag::response::ResponseState;
use grabbag::runbook::Runbook;

/// Who plays, by the short name the scripts use.
const CAST: &[(&str, &str, &str)] = &[
    ("IL", "Priya Shah", "Incident Lead (Silver)"),
    ("ICT", "Tom Okafor", "ICT Security Lead"),
    ("DPO", "Helen Marsh", "Data Protection Officer"),
    ("COMMS", "Dan Reilly", "Communications Lead"),
    ("S151", "Margaret Cole", "Head of Finance (Section 151)"),
    ("RB", "Aisha Begum", "Revenues and Benefits Manager"),
    ("GOLD", "Sarah Whitfield", "Strategic Lead (Gold)"),
    ("ASC", "Gareth Lloyd", "Head of Adult Social Care"),
    ("CFD", "Naomi Clarke", "Children's Front Door Manager"),
    ("HOM", "Kwame Mensah", "Housing Options Manager"),
    ("CSM", "Laura Finch", "Customer Services Manager"),
    ("CSMGR", "Rachel Ibbotson", "Children's Services Manager"),
    ("CM", "Steve Parry", "Contract Manager"),
    ("HR", "Joanne Pike", "Head of HR and Payroll"),
    ("DRO", "Imran Qureshi", "Deputy Returning Officer"),
    ("ELEC", "Beth Morgan", "Electoral Services Manager"),
    ("SD", "Owen Price", "ICT Service Desk Manager"),
    ("FAC", "Chris Hale", "Facilitator"),
    ("OBS", "Anne Doyle", "Observer"),
];

/// One script per exercise: `MINUTE WHO ACTION ARGS`, with `|` separating
/// free-text arguments. Actions: sign-in (a capacity, then `| TEAM` for a
/// player), open, start, done, tick, decide, note, score, unscripted, pause
/// (a break of N real minutes), end, lesson. Each script begins as a
/// facilitator begins: the facilitator, an observer and the players (in
/// the exercise's two teams, under its roles) sign in at T+0 before any
/// inject; the facilitator's clock, injects, scores and lessons are then
/// the facilitator's entries, the observer's notes the observer's.
const SCRIPTS: &[(&str, &str)] = &[
    (
        "ransomware-friday",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 ICT sign-in player | ICT
0 IL sign-in player | Business
0 DPO sign-in player | Business
0 COMMS sign-in player | Business
0 S151 sign-in player | Business
0 RB sign-in player | Business
0 IL open cyber/ransomware
1 ICT start cyber/ransomware confirm-and-declare
4 IL done cyber/ransomware confirm-and-declare
5 ICT start cyber/ransomware isolate
6 ICT tick cyber/ransomware isolate 0
9 ICT done cyber/ransomware isolate
13 IL decide cyber/ransomware spread | Yes, or we cannot tell | Three services report notes; we cannot tell where it stops
14 ICT start cyber/ransomware network-shutdown
24 ICT done cyber/ransomware network-shutdown
25 ICT start cyber/ransomware protect-backups
27 OBS note | ICT shut the core switches before anyone checked the backups; the backup team was not called until T+25
29 IL done cyber/ransomware stand-up-command
32 ICT done cyber/ransomware protect-backups
35 FAC pause 10
36 IL note | Sitrep for Gold: revenues, benefits and housing shares encrypted; network segments off; backups offline and being checked; ransom email received
38 IL decide cyber/ransomware personal-data | Yes or unsure | The email claims 180 GB of residents' data and we cannot rule it out
39 IL done cyber/ransomware report-ncsc
41 OBS note | Gold briefing: aim agreed (protect vulnerable residents, pay people on Monday, no ransom); the loggist recorded the decision
42 FAC score gold-briefing gold-aim met
44 COMMS note | Holding statement agreed with Gold: a cyber incident is affecting some services; how to reach us; updates at 17:00
46 S151 open continuity/payments
47 S151 done continuity/payments activate
50 S151 start continuity/payments payment-calendar
51 OBS note | NCSC call: ICT gave the indicators but guessed at the way in; corrected later
52 FAC score ncsc-callback ncsc-answered partial
53 S151 done continuity/payments payment-calendar
54 S151 decide continuity/payments payment-route | Bank portal works from a clean device (Faster Payments, CHAPS, file upload) | The bank confirmed the portal works from the standalone laptop
57 RB start continuity/payments residents
63 IL done cyber/ransomware notify-insurer
66 RB done continuity/payments residents
68 DPO start cyber/ransomware notify-dpo
70 DPO done cyber/ransomware notify-dpo
72 DPO start cyber/ransomware report-ico
76 S151 done continuity/payments dual-authorise
84 DPO done cyber/ransomware report-ico
86 IL note | Weekend: Silver on call Saturday and Sunday, next Silver meeting Saturday 09:00, ICT shifts agreed
88 FAC end
89 FAC lesson went_well | Isolation and network shutdown within 25 minutes, as the runbook says
89 FAC lesson went_well | A payment route for Monday agreed with the bank in under 10 minutes
89 FAC lesson did_not_go_well | Backups were checked late: the backup team was not on the call list
89 FAC lesson did_not_go_well | Nobody owned the ransom demand step; no decision was logged
89 FAC lesson action | Add the backup team to the ransomware call tree and print it | ICT Security Lead | 2027-01-31
89 FAC lesson action | Rehearse the ICO report with the DPO against the 72-hour clock | Data Protection Officer | 2027-02-28
89 FAC lesson action | Put a weekend rota template into the command and control runbook | Emergency Planning Manager | 2027-01-15
"#,
    ),
    (
        "phishing-data-breach",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 ICT sign-in player | ICT
0 IL sign-in player | ICT
0 DPO sign-in player | Information governance
0 CSMGR sign-in player | Information governance
0 COMMS sign-in player | Information governance
0 IL open cyber/phishing-bec
2 ICT start cyber/phishing-bec triage-report
5 ICT done cyber/phishing-bec triage-report
7 ICT decide cyber/phishing-bec what-happened | Password entered, MFA approved, or mailbox acting oddly | She typed her password and a forwarding rule exists
12 ICT start cyber/phishing-bec secure-account
18 ICT done cyber/phishing-bec secure-account
20 ICT start cyber/phishing-bec check-mailbox
28 ICT done cyber/phishing-bec check-mailbox
31 CSMGR open cyber/personal-data-breach
32 IL decide cyber/personal-data-breach safety-risk | Yes or unsure | A refuge address was in the forwarded mail
34 DPO done cyber/personal-data-breach report-to-dpo
36 DPO note | Awareness: we became aware at 10:40 on Thursday when the audit showed case notes had left the council; the 72 hours run to 10:40 on Sunday
38 CSMGR start cyber/personal-data-breach protect-people
45 ICT done cyber/phishing-bec block-and-warn
47 CSMGR done cyber/personal-data-breach protect-people
52 DPO decide cyber/personal-data-breach risk-to-people | Risk likely, or unsure | Children's records, including a refuge address
58 DPO start cyber/personal-data-breach report-ico
62 OBS note | The Caldicott Guardian and the DPO agreed a phased report (facts now, full scope on Monday) and logged why
63 FAC score report-now phased-reason met
66 DPO done cyber/personal-data-breach report-ico
67 DPO note | ICO reference IC-004512: initial report made by phone, full scope to follow on Monday
68 COMMS note | Public statement agreed with the DPO and posted on the council's social media pages
69 DPO decide cyber/personal-data-breach high-risk | Yes: high risk | Children's social care records and a refuge address
73 CSMGR start cyber/personal-data-breach tell-people
74 FAC end
75 FAC lesson went_well | The account was secured within 20 minutes of the audit
75 FAC lesson went_well | The family in the refuge was made safe before anything else
75 FAC lesson did_not_go_well | Nobody recorded lessons before the exercise ended; the runbook's last step was left
75 FAC lesson action | Turn on alerts for new external forwarding rules | ICT Security Lead | 2027-01-31
75 FAC lesson action | Brief children's social workers on 'document shared' phishing | Children's Services Manager | 2027-01-15
"#,
    ),
    (
        "total-it-loss",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 GOLD sign-in player | Command
0 IL sign-in player | Command
0 COMMS sign-in player | Command
0 CSM sign-in player | Services
0 ASC sign-in player | Services
0 CFD sign-in player | Services
0 HOM sign-in player | Services
0 IL open continuity/command-and-control
3 IL done continuity/command-and-control declare-loss
6 IL done continuity/command-and-control alert-gold
7 CSM open continuity/contact-centre
9 CSM done continuity/contact-centre confirm-scope
12 CSM decide continuity/contact-centre telephony-status | No: numbers dead or not answered | Switchboard and call queues are dead
18 CSM done continuity/contact-centre divert-numbers
22 ASC open continuity/adult-social-care
23 ASC done continuity/adult-social-care activate
25 ASC decide continuity/adult-social-care list-current | Yes | The printed red list in the grab bag is dated last Friday
28 GOLD done continuity/command-and-control gold-meeting
31 CFD open continuity/childrens-safeguarding
33 CFD done continuity/childrens-safeguarding receive-referral
35 CFD decide continuity/childrens-safeguarding immediate-risk | Yes or unsure | Bruising and a partner with a recent assault arrest
36 ASC done continuity/adult-social-care prioritise
40 FAC pause 15
42 HOM open continuity/homelessness
43 HOM done continuity/homelessness receive-approach
44 HOM decide continuity/homelessness reason-to-believe | Yes: may be homeless, eligible and in priority need | Three children, evicted today
47 IL decide continuity/command-and-control partners | Yes: tell the LRF and consider multi-agency coordination | Vulnerable people across the district depend on council services
48 IL done continuity/command-and-control decision-logs
50 FAC unscripted | Facilities manager | phone | A water main has burst outside the civic centre; the car park is closing
52 CFD done continuity/childrens-safeguarding act-now
58 HOM done continuity/homelessness place-tonight
61 COMMS note | Staff message by text cascade: work from the civic centre or the library hub; HR line for welfare
64 IL done continuity/command-and-control staff-welfare
66 CSM done continuity/contact-centre public-message
80 IL done continuity/command-and-control recovery
81 OBS note | The back-entry plan names owners for care visits and referrals but not for housing payments
82 FAC score wednesday back-entry-owners partial
86 OBS note | Hotwash: four lessons, three actions, each with an owner
87 FAC score hotwash hotwash met
88 FAC end
89 FAC lesson went_well | The printed red list let home care carry on by 10:00
89 FAC lesson did_not_go_well | Hospital discharges were forgotten: nobody owned them on Tuesday
89 FAC lesson did_not_go_well | Decision logs started only after the first Gold meeting
89 FAC lesson action | Give hospital discharges a named Bronze lead in the no-IT plan | Head of Adult Social Care | 2027-02-28
89 FAC lesson action | Print the staff text cascade list monthly | HR Business Partner | 2027-01-31
89 FAC lesson action | Name an owner for back-entry of housing payments | Housing Options Manager | 2027-01-31
"#,
    ),
    (
        "compromised-supplier",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 ICT sign-in player | ICT
0 IL sign-in player | ICT
0 CM sign-in player | Contract and data
0 DPO sign-in player | Contract and data
0 HR sign-in player | Contract and data
0 COMMS sign-in player | Contract and data
0 IL open cyber/compromised-supplier
2 IL done cyber/compromised-supplier receive-notice
4 ICT start cyber/compromised-supplier map-exposure
14 ICT done cyber/compromised-supplier map-exposure
16 ICT decide cyber/compromised-supplier access-decision | Yes or unsure | Their account logged in at night
22 ICT done cyber/compromised-supplier cut-access
26 ICT open cyber/privileged-account
27 ICT done cyber/privileged-account triage-alert
29 ICT done cyber/privileged-account confirm-with-owner
30 ICT decide cyber/privileged-account genuine | No, partly, or owner not reachable | The supplier denies making the change
33 ICT done cyber/privileged-account contain-account
34 ICT start cyber/compromised-supplier hunt
42 CM done cyber/compromised-supplier demand-information
43 OBS note | The contract manager quoted the audit clause but set the supplier no deadline
44 FAC score silence escalated partial
46 ICT done cyber/compromised-supplier hunt
53 IL decide cyber/compromised-supplier personal-data | Yes or unsure | The HR export holds staff bank details
58 IL decide cyber/compromised-supplier reconnect-decision | Yes: evidence reviewed and accepted | The supplier says it is clean and patching is overdue
62 COMMS note | Press statement: we use the provider, we have cut its access, and we are working with it and the NCSC
63 HR done cyber/compromised-supplier continuity
68 DPO done cyber/compromised-supplier notify-dpo
69 FAC end
70 FAC lesson went_well | Supplier access was cut within 12 minutes of the night login
70 FAC lesson did_not_go_well | We agreed to reconnect on the supplier's word alone
70 FAC lesson action | Write reconnection criteria (evidence we need) into the contract schedule | Contract Manager | 2027-03-31
70 FAC lesson action | Keep a register of every supplier remote-access route | ICT Security Lead | 2027-02-28
"#,
    ),
    (
        "electoral-system-lost",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 DRO sign-in player | Elections
0 ELEC sign-in player | Elections
0 GOLD sign-in player | Council command
0 COMMS sign-in player | Council command
0 CSM sign-in player | Council command
0 ELEC open continuity/electoral-services
2 ELEC start continuity/electoral-services activate
9 ELEC done continuity/electoral-services tell-returning-officer
10 OBS note | The deputy's written appointment was read out before the first decision: it covers the conduct of the poll
11 FAC score ro-unreachable appointment-checked met
14 ELEC done continuity/electoral-services activate
16 ELEC start continuity/electoral-services rebuild-absent-voters
19 GOLD open continuity/command-and-control
24 GOLD start continuity/command-and-control brief-members
30 FAC pause 5
33 GOLD done continuity/command-and-control brief-members
34 OBS note | Gold offered staff, spending and ICT and left the poll to the deputy; the Monitoring Officer confirmed the urgency clause before the spending decision
35 FAC score gold-call gold-support met
38 DRO decide continuity/electoral-services timetable-decision | Yes: proceed on the timetable with contingency measures | The print supplier's Wednesday file and the paper applications cover every postal voter we know of; the platform's claim that the data is intact is unconfirmed
44 ELEC done continuity/electoral-services rebuild-absent-voters
50 DRO done continuity/electoral-services tell-commission
52 ELEC start continuity/electoral-services contingency-measures
60 COMMS start continuity/electoral-services tell-voters
66 CSM open continuity/contact-centre
67 CSM done continuity/contact-centre scam-warning
72 ELEC done continuity/electoral-services contingency-measures
74 OBS note | The log shows the timetable decision with its reasons, but not who decided to rebuild from the print supplier's file
75 FAC score agent-challenge log-ready partial
84 OBS note | Handover to the Returning Officer from the log took six minutes; open risks and next deadlines listed
85 FAC score monday handover met
86 FAC end
87 FAC lesson went_well | The deputy's appointment was checked before any decision on the poll
87 FAC lesson went_well | Postal voter lists rebuilt from the print supplier's file within the evening
87 FAC lesson did_not_go_well | The statement to voters was drafted but never agreed: the rumour ran for two hours
87 FAC lesson did_not_go_well | The rebuild from the print file was decided by nobody in particular
87 FAC lesson action | Keep a dated copy of the absent voter lists outside the EMS after every update | Electoral Services Manager | 2027-02-28
87 FAC lesson action | Pre-agree voter and candidate messages for a lost register with the Returning Officer | Communications Lead | 2027-03-31
"#,
    ),
    (
        "faulty-update",
        r#"
0 FAC sign-in facilitator
0 OBS sign-in observer
0 SD sign-in player | ICT
0 ICT sign-in player | ICT
0 IL sign-in player | Services
0 GOLD sign-in player | Services
0 COMMS sign-in player | Services
0 CSM sign-in player | Services
0 DPO sign-in player | Services
0 SD open cyber/faulty-update
1 SD start cyber/faulty-update triage
11 SD done cyber/faulty-update triage
13 ICT decide cyber/faulty-update fault-or-attack | No: the crashes match a known faulty update and nothing else is wrong | The WARP reports the same agent update at 04:10 across councils and NHS trusts; no ransom notes or encrypted files; our first crash was at 04:12
19 ICT done cyber/faulty-update hold-network
26 OBS note | ICT phoned the trust with the WARP alert and the vendor advisory; the trust will restore the link once the vendor confirms the cause
27 FAC score nhs-disconnects partner-reassured met
32 IL start cyber/faulty-update stand-up
35 FAC pause 10
36 GOLD open continuity/command-and-control
38 IL done cyber/faulty-update stand-up
44 GOLD done continuity/command-and-control gold-meeting
48 ICT done cyber/faulty-update official-fix
52 SD start cyber/faulty-update recovery-keys
66 SD done cyber/faulty-update recovery-keys
69 COMMS done cyber/faulty-update tell-staff-and-public
71 CSM open continuity/contact-centre
72 CSM decide continuity/contact-centre telephony-status | Yes: calls arrive, but customer systems are down | The lines are up; the CRM runs on laptops that are still crashing
83 DPO decide cyber/faulty-update personal-data | Yes or unsure | A carer could not reach medication notes; a risk to a person cannot be ruled out
84 SD start cyber/faulty-update fix-in-priority-order
86 FAC end
87 FAC lesson went_well | The network stayed up: the acting lead stopped the disconnection on the WARP's evidence
87 FAC lesson went_well | The fix came from the vendor's channel and was tested before rollout
87 FAC lesson did_not_go_well | Nobody briefed the Leader, who heard about it from the radio
87 FAC lesson did_not_go_well | The recovery keys lived on the servers that crashed
87 FAC lesson action | Keep an offline, access-controlled copy of device recovery keys | ICT Security Lead | 2027-01-31
87 FAC lesson action | Stage security agent updates in rings, where the vendor allows it | ICT Service Desk Manager | 2027-02-28
"#,
    ),
];

fn actor(who: &str) -> anyhow::Result<Actor> {
    let (_, name, role) = CAST
        .iter()
        .find(|(short, _, _)| *short == who)
        .ok_or_else(|| anyhow!("unknown player `{who}`"))?;
    Ok(Actor {
        name: (*name).to_owned(),
        role: (*role).to_owned(),
    })
}

struct Player<'a> {
    journal: Journal,
    state: ResponseState,
    exercise: &'a Exercise,
    runbooks: &'a [(Runbook, String)],
    time: SimulatedTime,
    clock: ExerciseClock<SimulatedTime>,
    paused_ms: u64,
}

impl Player<'_> {
    fn append(&mut self, who: &Actor, event: Event) -> anyhow::Result<u64> {
        let entry = self.journal.append(who, event, Some(self.clock.now()))?;
        self.state.apply(&entry);
        Ok(entry.seq)
    }

    /// Moves the simulated clock to exercise minute `t_ms`, releasing every
    /// inject that falls due on the way, each at its due time.
    fn advance(&mut self, t_ms: u64) -> anyhow::Result<()> {
        let facilitator = actor("FAC")?;
        loop {
            let due = schedule::due(self.exercise, &self.state, t_ms);
            let Some(first) = due.first() else { break };
            self.time
                .set(first.at.max(self.clock.now()) + self.paused_ms);
            let inject = &self.exercise.injects[first.index];
            self.append(
                &facilitator,
                Event::InjectDelivered {
                    inject: inject.id.clone(),
                    from: inject.from.clone(),
                    channel: inject.channel.clone(),
                    text: inject.text.clone(),
                    to: inject.to.clone(),
                },
            )?;
        }
        self.time.set(t_ms + self.paused_ms);
        Ok(())
    }

    fn runbook(&self, id: &str) -> anyhow::Result<&(Runbook, String)> {
        self.runbooks
            .iter()
            .find(|(r, _)| r.id == id)
            .ok_or_else(|| anyhow!("no runbook `{id}`"))
    }

    fn act(&mut self, line: &str) -> anyhow::Result<()> {
        let (head, rest) = line.split_once(" | ").unwrap_or((line, ""));
        let free: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(" | ").collect()
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        let [minute, who, action, args @ ..] = words.as_slice() else {
            bail!("bad script line: {line}");
        };
        let t_ms = (minute.parse::<f64>()? * 60_000.0) as u64;
        // People sign in on the brief, before the clock releases anything.
        if *action != "sign-in" {
            self.advance(t_ms)?;
        }
        let by = actor(who)?;
        let step = |args: &[&str]| -> anyhow::Result<(String, String)> {
            match args {
                [rb, step, ..] => Ok(((*rb).to_owned(), (*step).to_owned())),
                _ => bail!("`{line}` needs a runbook and a step"),
            }
        };
        let event = match *action {
            // Held to the exercise's roles and teams, as the screen and
            // `act sign-in` hold a facilitator.
            "sign-in" => Event::SignedIn {
                name: by.name.clone(),
                role: self.exercise.sign_in_role(&by.role)?,
                team: self.exercise.sign_in_team(free.first().copied())?,
                capacity: args.first().copied().unwrap_or("player").to_owned(),
            },
            "open" => {
                let (rb, text) = self.runbook(args.first().copied().unwrap_or(""))?;
                let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())?;
                Event::RunbookOpened {
                    runbook: rb.id.clone(),
                    title: rb.title.clone(),
                    commit: None,
                    blob: Some(blob.to_string()),
                    dirty: false,
                    unencrypted: true,
                    trust: "not checked (scripted run, runbooks from the source tree)".to_owned(),
                }
            }
            "start" => {
                let (runbook, step) = step(args)?;
                Event::StepStarted { runbook, step }
            }
            "done" => {
                let (runbook, step) = step(args)?;
                Event::StepDone { runbook, step }
            }
            "tick" => {
                let (runbook, step_id) = step(args)?;
                let check: usize = args.get(2).copied().unwrap_or("0").parse()?;
                let (rb, _) = self.runbook(&runbook)?;
                let text = rb
                    .step(&step_id)
                    .and_then(|s| s.checks.get(check))
                    .cloned()
                    .ok_or_else(|| anyhow!("no check {check} in {runbook}#{step_id}"))?;
                Event::CheckTicked {
                    runbook,
                    step: step_id,
                    check,
                    text,
                }
            }
            "decide" => {
                let (runbook, step_id) = step(args)?;
                let [option, rationale] = free.as_slice() else {
                    bail!("`{line}` needs | option | rationale");
                };
                let (rb, _) = self.runbook(&runbook)?;
                let goto = rb
                    .step(&step_id)
                    .and_then(|s| s.decision.as_ref())
                    .and_then(|d| d.options.iter().find(|o| o.label == *option))
                    .map(|o| o.goto.to_string())
                    .ok_or_else(|| anyhow!("no option {option:?} in {runbook}#{step_id}"))?;
                Event::Decision {
                    runbook,
                    step: step_id,
                    option: (*option).to_owned(),
                    goto,
                    rationale: (*rationale).to_owned(),
                }
            }
            "note" => Event::Note {
                text: free.first().copied().unwrap_or("").to_owned(),
                happened_at: None,
            },
            "score" => {
                let [inject, expectation, score] = args else {
                    bail!("`{line}` needs inject, expectation and score");
                };
                Event::ExpectationScored {
                    inject: (*inject).to_owned(),
                    expectation: (*expectation).to_owned(),
                    score: (*score).to_owned(),
                    // The observer's note just before is the evidence.
                    evidence: self.state.last_seq,
                    comment: Some("as the observer's note just before records".to_owned()),
                }
            }
            "unscripted" => {
                let [from, channel, text] = free.as_slice() else {
                    bail!("`{line}` needs | from | channel | text");
                };
                Event::InjectDelivered {
                    inject: String::new(),
                    from: (*from).to_owned(),
                    channel: (*channel).to_owned(),
                    text: (*text).to_owned(),
                    to: None,
                }
            }
            "pause" => {
                let minutes: u64 = args.first().copied().unwrap_or("5").parse()?;
                let pause = self.clock.pause()?;
                self.append(&by, pause)?;
                self.time.advance(minutes * 60_000);
                self.paused_ms += minutes * 60_000;
                self.clock.resume()?
            }
            "end" => self.clock.end()?,
            "lesson" => {
                let category = match args.first().copied() {
                    Some("went_well") => LessonCategory::WentWell,
                    Some("did_not_go_well") => LessonCategory::DidNotGoWell,
                    Some("action") => LessonCategory::Action,
                    other => bail!("unknown lesson category {other:?}"),
                };
                Event::LessonRecorded {
                    category,
                    text: free.first().copied().unwrap_or("").to_owned(),
                    owner: free.get(1).map(|s| (*s).to_owned()),
                    due: free.get(2).map(|s| (*s).to_owned()),
                }
            }
            other => bail!("unknown action `{other}` in: {line}"),
        };
        self.append(&by, event)?;
        Ok(())
    }
}

fn load_runbooks() -> anyhow::Result<Vec<(Runbook, String)>> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).ok_or_else(|| anyhow!("date"))?;
    let mut out = Vec::new();
    for (name, text) in grabbag::samples::SAMPLE_RUNBOOKS {
        let id = name.trim_end_matches(".toml");
        let checked = grabbag::runbook::check(name, text, id, today);
        let rb = checked
            .runbook
            .ok_or_else(|| anyhow!("sample runbook {name} does not lint"))?;
        out.push((rb, (*text).to_owned()));
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runbooks = load_runbooks()?;
    for (id, script) in SCRIPTS {
        let file = root.join("exercises").join(format!("{id}.toml"));
        let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        let checked = exercise::check(&file.display().to_string(), &text, id, None);
        let ex = checked
            .exercise
            .ok_or_else(|| anyhow!("{id}: {:#?}", checked.diagnostics))?;
        let path = root.join("exercises/runs").join(format!("{id}.jsonl"));
        let _ = std::fs::remove_file(&path);
        let facilitator = actor("FAC")?;
        let (journal, first) = Journal::create_with_entry(
            &path,
            &NewJournal {
                recipients: None,
                library: None,
                incident: Some(format!("Exercise: {}", ex.title)),
                exercise: Some(ex.id.clone()),
            },
            &facilitator,
        )?;
        let time = SimulatedTime::new();
        let mut player = Player {
            journal,
            state: ResponseState::fold([&first]),
            exercise: &ex,
            runbooks: &runbooks,
            clock: ExerciseClock::start(time.clone(), Speed::REAL_TIME, false),
            time,
            paused_ms: 0,
        };
        player.append(
            &facilitator,
            started_event(&ex, &text, Speed::REAL_TIME, false),
        )?;
        for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
            player
                .act(line)
                .with_context(|| format!("{id}: `{line}`"))?;
        }
        player.append(
            &facilitator,
            Event::SessionEnded {
                reason: Some("end of the exercise".to_owned()),
            },
        )?;
        drop(player.journal);
        // The writer's lock file is not part of the run.
        let _ = std::fs::remove_file(path.with_extension("jsonl.lock"));
        let card = exercise::score(&ex, &player.state);
        Baseline::of(&card, &exercise::digest(&text)).write(&Baseline::path_for(&path))?;
        println!(
            "{}: {} entries, {}%",
            path.display(),
            card.entries,
            card.overall.percent.unwrap_or(0)
        );
    }
    Ok(())
}
