import java.sql.*;

/** The Arrow Flight SQL JDBC driver (DBeaver's "Arrow Flight SQL" connection) against lakelens:
 *  DatabaseMetaData as a navigator walks it, a query with binary and nested columns, a prepared
 *  statement with a parameter, and DDL/DML with their update counts. One line per fact. */
public class FlightSqlWalk {
    public static void main(String[] args) throws Exception {
        try (Connection conn = DriverManager.getConnection(args[0])) {
            DatabaseMetaData md = conn.getMetaData();
            System.out.println("PRODUCT " + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
            System.out.println("QUOTE " + md.getIdentifierQuoteString());
            try (ResultSet rs = md.getCatalogs()) {
                while (rs.next()) System.out.println("CATALOG " + rs.getString("TABLE_CAT"));
            }
            try (ResultSet rs = md.getSchemas(args[1], "%")) {
                while (rs.next()) System.out.println("SCHEMA " + rs.getString("TABLE_CATALOG") + "." + rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = md.getTableTypes()) {
                while (rs.next()) System.out.println("TYPE " + rs.getString("TABLE_TYPE"));
            }
            try (ResultSet rs = md.getTables(args[1], "shop", "%", null)) {
                while (rs.next()) System.out.println("TABLE " + rs.getString("TABLE_CAT") + "." + rs.getString("TABLE_SCHEM")
                    + "." + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
            }
            try (ResultSet cols = md.getColumns(args[1], "shop", "items", "%")) {
                while (cols.next()) System.out.println("COLUMN " + cols.getString("COLUMN_NAME") + " "
                    + cols.getString("TYPE_NAME") + " " + cols.getInt("DATA_TYPE") + " " + cols.getInt("ORDINAL_POSITION"));
            }
            try (ResultSet pk = md.getPrimaryKeys(args[1], "shop", "items")) {
                while (pk.next()) System.out.println("PK " + pk.getString("COLUMN_NAME"));
            }
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id, name, payload, tags FROM gw.shop.items ORDER BY id")) {
                ResultSetMetaData rmd = rs.getMetaData();
                System.out.println("RESULT " + rmd.getColumnCount() + " " + rmd.getColumnName(3));
                while (rs.next()) {
                    byte[] b = rs.getBytes(3);
                    System.out.println("ROW " + rs.getInt(1) + " " + rs.getString(2) + " "
                        + (b == null ? "null" : String.valueOf(b.length)) + " " + rs.getObject(4));
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT name FROM gw.shop.items WHERE id = ?")) {
                ps.setString(1, "3");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) System.out.println("PREPARED " + rs.getString(1));
                }
            }
            try (Statement st = conn.createStatement()) {
                st.executeUpdate("CREATE SCHEMA IF NOT EXISTS main.flight_jdbc");
                st.executeUpdate("CREATE OR REPLACE TABLE main.flight_jdbc.t (id INT, label STRING)");
                System.out.println("INSERTED " + st.executeUpdate("INSERT INTO main.flight_jdbc.t VALUES (1, 'a'), (2, 'b')"));
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM main.flight_jdbc.t")) {
                    rs.next();
                    System.out.println("COUNT " + rs.getLong(1));
                }
            }
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELECT * FROM gw.shop.no_such_table");
            } catch (SQLException e) {
                System.out.println("ERROR " + e.getMessage().replace('\n', ' '));
            }
        }
    }
}
