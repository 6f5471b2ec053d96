*SENSE:Maximize
NAME          reference_capacity
ROWS
 N  OBJ
 L  sat_0
 L  sat_1
 L  sat_2
 E  share_0
 E  share_1
COLUMNS
    lam_0     sat_2      1.000000000000e+00
    lam_0     share_0   -1.000000000000e+00
    lam_0     share_1   -1.000000000000e+00
    lam_0     OBJ        1.000000000000e+00
    u_0       sat_0      6.000000000000e+00
    u_0       share_0    1.000000000000e+00
    u_1       sat_1      6.000000000000e+00
    u_1       share_0    1.000000000000e+00
    u_2       sat_1      4.000000000000e+00
    u_2       share_1    1.000000000000e+00
    u_3       sat_2      4.000000000000e+00
    u_3       share_1    1.000000000000e+00
RHS
    RHS       sat_0      2.000000000000e+00
    RHS       sat_1      1.000000000000e+00
    RHS       sat_2      1.000000000000e+00
    RHS       share_0    0.000000000000e+00
    RHS       share_1    0.000000000000e+00
BOUNDS
ENDATA
