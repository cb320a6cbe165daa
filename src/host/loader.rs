//! ES module loading for user files: relative and absolute `file://` imports,
//! plus the bare specifier `duroxide`, served as a virtual module that
//! re-exports the SDK object the bootstrap built.

use deno_core::error::ModuleLoaderError;
use deno_core::{
    resolve_import, ModuleLoadResponse, ModuleLoader, ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType,
    RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

pub const SDK_SPECIFIER: &str = "duroxide:sdk";

/// Names exported by the `duroxide` module (API.md, "Module exports").
pub const SDK_EXPORTS: &[&str] = &[
    "SqliteProvider",
    "PostgresProvider",
    "Client",
    "Runtime",
    "OrchestrationContext",
    "ActivityContext",
    "initTracing",
    "MAX_WORKER_TAGS",
    "MAX_TAG_NAME_BYTES",
    "MAX_KV_KEYS",
    "MAX_KV_VALUE_BYTES",
];

pub struct UserModuleLoader;

fn sdk_module_source() -> String {
    let mut code = String::from("const sdk = globalThis[Symbol.for(\"duroxide.sdk\")];\nexport default sdk;\n");
    for name in SDK_EXPORTS {
        code.push_str(&format!("export const {name} = sdk.{name};\n"));
    }
    code
}

impl ModuleLoader for UserModuleLoader {
    fn resolve(&self, specifier: &str, referrer: &str, _kind: ResolutionKind) -> Result<ModuleSpecifier, ModuleLoaderError> {
        if specifier == "duroxide" || specifier == "duroxide-node" {
            return ModuleSpecifier::parse(SDK_SPECIFIER).map_err(|e| JsErrorBox::generic(e.to_string()).into());
        }
        let is_path = specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier.starts_with('/')
            || specifier.starts_with("file:");
        if !is_path {
            return Err(JsErrorBox::type_error(format!(
                "Cannot find module '{specifier}' imported from {}: duroxide provides the 'duroxide' module and files given by relative or absolute paths",
                super::js_error::display_paths(referrer)
            ))
            .into());
        }
        Ok(resolve_import(specifier, referrer)?)
    }

    fn load(
        &self,
        specifier: &ModuleSpecifier,
        referrer: Option<&ModuleSpecifier>,
        _is_dyn_import: bool,
        _requested: RequestedModuleType,
    ) -> ModuleLoadResponse {
        ModuleLoadResponse::Sync(load_sync(specifier, referrer))
    }
}

fn load_sync(specifier: &ModuleSpecifier, referrer: Option<&ModuleSpecifier>) -> Result<ModuleSource, ModuleLoaderError> {
    if specifier.as_str() == SDK_SPECIFIER {
        return Ok(ModuleSource::new(
            ModuleType::JavaScript,
            ModuleSourceCode::String(sdk_module_source().into()),
            specifier,
            None,
        ));
    }
    let path = specifier
        .to_file_path()
        .map_err(|_| JsErrorBox::type_error(format!("Cannot load '{specifier}': only local files can be imported")))?;
    let code = std::fs::read_to_string(&path).map_err(|e| {
        let from = referrer.map(|r| format!(" (imported from {})", super::js_error::display_paths(r.as_str()))).unwrap_or_default();
        JsErrorBox::type_error(format!("Cannot load module {}{from}: {e}", path.display()))
    })?;
    let module_type = if path.extension().is_some_and(|e| e == "json") { ModuleType::Json } else { ModuleType::JavaScript };
    Ok(ModuleSource::new(module_type, ModuleSourceCode::String(code.into()), specifier, None))
}
