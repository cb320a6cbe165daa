//! Who may do I/O: deno_permissions, as the I/O extensions (fs, fetch, net,
//! process) check it. By default everything is allowed, as in Node, so
//! duroxide-node scripts run unmodified; `--sandbox` denies everything the
//! `--allow-*` flags do not grant. While a generator step runs, a deny-all
//! set is in force instead (the determinism guard's backstop). A guard rail
//! for a trusted team's code, not a boundary for hostile code: the code
//! shares the isolate and the process with the host.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deno_core::OpState;
use deno_path_util::normalize_path;
use deno_permissions::{
    AllowRunDescriptor, AllowRunDescriptorParseResult, DenyRunDescriptor, EnvDescriptor, EnvDescriptorParseError,
    FfiDescriptor, ImportDescriptor, NetDescriptor, NetDescriptorParseError, PathQueryDescriptor, PathResolveError,
    PermissionDescriptorParser, Permissions, PermissionsContainer, PermissionsOptions, ReadDescriptor,
    RunDescriptorParseError, RunQueryDescriptor, SysDescriptor, SysDescriptorParseError, WriteDescriptor,
};

/// What `duroxide run` was told: each list is None when its flag is absent,
/// empty when the flag is given without values (everything of that kind).
#[derive(Clone, Debug, Default)]
pub struct Grants {
    pub sandbox: bool,
    pub read: Option<Vec<String>>,
    pub write: Option<Vec<String>>,
    pub net: Option<Vec<String>>,
    pub run: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
}

/// The two permission sets of an isolate (in its op state); the one in
/// force is the `PermissionsContainer` the extensions find there.
#[derive(Clone)]
pub struct PermissionSets {
    pub work: PermissionsContainer,
    pub orchestration: PermissionsContainer,
}

impl PermissionSets {
    pub fn new(grants: &Grants) -> Result<PermissionSets, String> {
        let parser: Arc<dyn PermissionDescriptorParser> = Arc::new(Parser);
        let work = if grants.sandbox {
            let options = PermissionsOptions {
                allow_read: grants.read.clone(),
                allow_write: grants.write.clone(),
                allow_net: grants.net.clone(),
                allow_run: grants.run.clone(),
                allow_env: grants.env.clone(),
                prompt: false,
                ..Default::default()
            };
            let permissions = Permissions::from_options(&*parser, &options).map_err(|e| format!("--allow-*: {e}"))?;
            PermissionsContainer::new(parser.clone(), permissions)
        } else {
            PermissionsContainer::allow_all(parser.clone())
        };
        let orchestration = PermissionsContainer::new(parser, Permissions::none_without_prompt());
        Ok(PermissionSets { work, orchestration })
    }
}

/// Puts the deny-all set in force for the duration of a generator step.
pub fn enter_step(state: &mut OpState) {
    let denied = state.borrow::<PermissionSets>().orchestration.clone();
    state.put(denied);
}

pub fn leave_step(state: &mut OpState) {
    let work = state.borrow::<PermissionSets>().work.clone();
    state.put(work);
}

fn resolve(text: &str) -> Result<PathBuf, PathResolveError> {
    if text.is_empty() {
        return Err(PathResolveError::EmptyPath);
    }
    let path = Path::new(text);
    if path.is_absolute() {
        return Ok(normalize_path(path));
    }
    let cwd = std::env::current_dir().map_err(PathResolveError::CwdResolve)?;
    Ok(normalize_path(cwd.join(path)))
}

/// Turns flag values and queried resources into deno_permissions descriptors.
#[derive(Debug)]
struct Parser;

impl PermissionDescriptorParser for Parser {
    fn parse_read_descriptor(&self, text: &str) -> Result<ReadDescriptor, PathResolveError> {
        Ok(ReadDescriptor(resolve(text)?))
    }

    fn parse_write_descriptor(&self, text: &str) -> Result<WriteDescriptor, PathResolveError> {
        Ok(WriteDescriptor(resolve(text)?))
    }

    fn parse_net_descriptor(&self, text: &str) -> Result<NetDescriptor, NetDescriptorParseError> {
        NetDescriptor::parse(text)
    }

    fn parse_import_descriptor(&self, text: &str) -> Result<ImportDescriptor, NetDescriptorParseError> {
        ImportDescriptor::parse(text)
    }

    fn parse_env_descriptor(&self, text: &str) -> Result<EnvDescriptor, EnvDescriptorParseError> {
        if text.is_empty() {
            return Err(EnvDescriptorParseError);
        }
        Ok(EnvDescriptor::new(text))
    }

    fn parse_sys_descriptor(&self, text: &str) -> Result<SysDescriptor, SysDescriptorParseError> {
        SysDescriptor::parse(text.to_string())
    }

    fn parse_allow_run_descriptor(&self, text: &str) -> Result<AllowRunDescriptorParseResult, RunDescriptorParseError> {
        let cwd = std::env::current_dir().map_err(|e| RunDescriptorParseError::PathResolve(PathResolveError::CwdResolve(e)))?;
        Ok(AllowRunDescriptor::parse(text, &cwd)?)
    }

    fn parse_deny_run_descriptor(&self, text: &str) -> Result<DenyRunDescriptor, PathResolveError> {
        let cwd = std::env::current_dir().map_err(PathResolveError::CwdResolve)?;
        Ok(DenyRunDescriptor::parse(text, &cwd))
    }

    fn parse_ffi_descriptor(&self, text: &str) -> Result<FfiDescriptor, PathResolveError> {
        Ok(FfiDescriptor(resolve(text)?))
    }

    fn parse_path_query(&self, path: &str) -> Result<PathQueryDescriptor, PathResolveError> {
        Ok(PathQueryDescriptor { requested: path.to_string(), resolved: resolve(path)? })
    }

    fn parse_run_query(&self, requested: &str) -> Result<RunQueryDescriptor, RunDescriptorParseError> {
        if requested.is_empty() {
            return Err(RunDescriptorParseError::EmptyRunQuery);
        }
        Ok(RunQueryDescriptor::parse(requested)?)
    }
}
