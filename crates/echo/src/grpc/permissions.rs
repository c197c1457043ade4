//! Who may call what on echo's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.echo.v1.EchoService/Echo", Access::Needs("echo.echo")), // answer with the message
    ("payops.echo.v1.EchoService/RecordNote", Access::Needs("echo.notes.write")), // record a note (outbox event)
    ("payops.echo.v1.EchoService/GetNoteCount", Access::Needs("echo.notes.read")), // count recorded notes
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_echo_has_exactly_one_permission_entry() {
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.echo.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
