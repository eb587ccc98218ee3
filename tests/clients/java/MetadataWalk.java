import java.sql.*;

/** Walks DatabaseMetaData the way DBeaver's navigator does, printing one line per object. */
public class MetadataWalk {
    public static void main(String[] args) throws Exception {
        Class.forName("org.apache.hive.jdbc.HiveDriver");
        try (Connection conn = DriverManager.getConnection(args[0], "walker", "")) {
            DatabaseMetaData md = conn.getMetaData();
            System.out.println("PRODUCT " + md.getDatabaseProductName() + " " + md.getDatabaseProductVersion());
            try (ResultSet rs = md.getCatalogs()) {
                while (rs.next()) System.out.println("CATALOG " + rs.getString("TABLE_CAT"));
            }
            try (ResultSet rs = md.getSchemas(args[1], "%")) {
                while (rs.next()) System.out.println("SCHEMA " + rs.getString("TABLE_CATALOG") + "." + rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = md.getTables(args[1], "%", "%", null)) {
                while (rs.next()) {
                    String cat = rs.getString("TABLE_CAT"), sch = rs.getString("TABLE_SCHEM"), t = rs.getString("TABLE_NAME");
                    System.out.println("TABLE " + cat + "." + sch + "." + t + " " + rs.getString("TABLE_TYPE"));
                    try (ResultSet cols = md.getColumns(cat, sch, t, "%")) {
                        while (cols.next()) {
                            System.out.println("COLUMN " + cat + "." + sch + "." + t + "." + cols.getString("COLUMN_NAME")
                                + " " + cols.getString("TYPE_NAME") + " " + cols.getInt("DATA_TYPE")
                                + " " + cols.getInt("ORDINAL_POSITION"));
                        }
                    }
                    try (ResultSet pk = md.getPrimaryKeys(cat, sch, t)) {
                        while (pk.next()) System.out.println("PK " + pk.getString("COLUMN_NAME"));
                    }
                }
            }
            try (ResultSet rs = md.getTypeInfo()) {
                int n = 0;
                while (rs.next()) n++;
                System.out.println("TYPES " + n);
            }
            try (ResultSet rs = md.getFunctions(null, null, "upper")) {
                while (rs.next()) System.out.println("FUNCTION " + rs.getString("FUNCTION_NAME"));
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
                rs.next();
                System.out.println("CURRENT " + rs.getString(1));
            }
            try (Statement st = conn.createStatement()) {
                st.setFetchSize(7);
                ResultSet rs = st.executeQuery("SELECT id, payload FROM gw.shop.items WHERE payload IS NOT NULL ORDER BY id");
                ResultSetMetaData rmd = rs.getMetaData();
                System.out.println("RESULT " + rmd.getColumnTypeName(1) + " " + rmd.getColumnTypeName(2));
                while (rs.next()) {
                    byte[] b = (byte[]) rs.getObject(2);  // Hive JDBC 2.3 has no getBytes
                    System.out.println("ROW " + rs.getInt(1) + " " + b.length);
                }
            }
        }
    }
}
